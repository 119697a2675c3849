"""``git:NAME``: the issue's Markdown with front matter in a folder of a git checkout, for a
Hugo/Docusaurus/Jekyll site to publish; optionally ``git add`` + ``git commit`` (never push).

Idempotent: the file is rewritten with the same content, and a commit is only made when the
staged file differs from ``HEAD``, so a repeated or resumed post makes no second commit.
git runs in a worker thread (``asyncio.to_thread``), never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.deliver.services._http import PlatformError
from bot.deliver.services.settings import FrontMatterValue, GitSettings
from bot.digest.model import CompiledIssue
from bot.digest.render import render_markdown

GIT_TIMEOUT = 60


def filename(issue: CompiledIssue) -> str:
    """``2026-11-23-weekly-12.md``: dated like Jekyll posts, sorted by date in any listing."""
    return f"{issue.period_end:%Y-%m-%d}-{issue.digest}-{issue.number}.md"


def with_extras(markdown: str, extras: dict[str, FrontMatterValue]) -> str:
    """Add the configured keys at the end of the front matter (values as JSON, valid YAML)."""
    if not extras:
        return markdown
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in extras.items()]
    end = markdown.index("\n---\n", 4)  # the front matter opens with '---\n' at offset 0
    return markdown[:end] + "\n" + "\n".join(lines) + markdown[end:]


@dataclass
class GitDestination:
    name: str
    settings: GitSettings

    @property
    def checkout(self) -> Path:
        return Path(self.settings.path)

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return [(filename(issue), with_extras(render_markdown(issue), self.settings.front_matter))]

    async def post(self, part: Any, key: str) -> str:
        name, content = part
        return await asyncio.to_thread(self._publish, name, content, key)

    async def find(self, key: str) -> str | None:
        return None  # rewriting the same file is harmless and commits nothing new

    def _publish(self, name: str, content: str, key: str) -> str:
        relative = Path(self.settings.folder) / name
        target = self.checkout / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".md.tmp")
        temporary.write_text(content, encoding="utf-8")
        temporary.replace(target)
        if not self.settings.commit:
            return str(target)
        self._git("add", "--", str(relative))
        staged = self._git("diff", "--cached", "--quiet", "--", str(relative), check=False)
        if staged.returncode == 1:
            self._git(
                "commit", "--quiet", "-m", f"Linkletter: {name}", "-m", key, "--", str(relative)
            )
        head = self._git("rev-parse", "HEAD").stdout.strip()
        return f"{target}@{head}"

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        identity = {
            "GIT_AUTHOR_NAME": self.settings.author_name,
            "GIT_AUTHOR_EMAIL": self.settings.author_email,
            "GIT_COMMITTER_NAME": self.settings.author_name,
            "GIT_COMMITTER_EMAIL": self.settings.author_email,
        }
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(self.checkout), *args],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            env={**os.environ, **identity},
            check=False,
        )
        if check and result.returncode != 0:
            raise PlatformError(f"git {args[0]} failed: {result.stderr.strip()}")
        return result
