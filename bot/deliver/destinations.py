"""Where an issue goes. Each destination renders its parts and posts one part at a time.

``post`` must be safe to repeat for the same ``key`` where the target allows it (chat messages
carry the key and can be found again; files are overwritten); ``find`` looks for a part that
was posted before a crash could record it.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from bot.digest.model import CompiledIssue
from bot.digest.render import render_html_email, render_markdown, render_text
from bot.platforms import platform
from bot.ports import ChatPublisher


class Destination(Protocol):
    name: str

    def parts(self, issue: CompiledIssue) -> list[Any]: ...

    async def post(self, part: Any, key: str) -> str: ...

    async def find(self, key: str) -> str | None: ...


@dataclass(frozen=True)
class SavedDraft:
    """A newsletter-platform draft as the platform last showed it."""

    id: str  # the platform's id, remembered so the next save updates this draft
    link: str  # where an editor opens it in the platform's UI
    is_draft: bool = True  # False once an editor sent, scheduled or published it
    version: str | None = None  # Ghost's ``updated_at``, which its edit endpoint checks


@runtime_checkable
class DraftDestination(Destination, Protocol):
    """A newsletter platform: one draft per issue, made at preview time and updated at publish.

    ``save`` updates the draft ``draft_id`` (or, if that one is gone, the one carrying ``key``
    when ``recover`` says an unrecorded attempt may have made it), else creates one marked with
    ``key``. A draft an editor already sent or published is left as it is."""

    async def save(
        self, part: Any, key: str, draft_id: str | None, recover: bool
    ) -> SavedDraft: ...


@dataclass
class ChatDestination:
    """A chat channel (``<platform>:<id>``), through the platform's publisher."""

    name: str
    publisher: ChatPublisher

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return list(platform(self.name.partition(":")[0]).render(issue))

    async def post(self, part: Any, key: str) -> str:
        return await self.publisher.post(self.name, part, key)

    async def find(self, key: str) -> str | None:
        return await self.publisher.find_posted(self.name, key)


@dataclass
class FileDestination:
    """``file:DIR``: Markdown (with front matter) and the HTML e-mail, written atomically."""

    name: str

    @property
    def folder(self) -> Path:
        return Path(self.name.removeprefix("file:"))

    def parts(self, issue: CompiledIssue) -> list[Any]:
        stem = f"{issue.digest}-{issue.number:03d}"
        return [(f"{stem}.md", render_markdown(issue)), (f"{stem}.html", render_html_email(issue))]

    async def post(self, part: Any, key: str) -> str:
        filename, content = part
        return await asyncio.to_thread(self._write, filename, content)

    def _write(self, filename: str, content: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / filename
        temporary = target.with_suffix(target.suffix + ".tmp")
        temporary.write_text(content, encoding="utf-8")
        temporary.replace(target)
        return str(target)

    async def find(self, key: str) -> str | None:
        return None  # rewriting a file is harmless


@dataclass
class SmtpDestination:
    """``smtp:reader@example.com``: the HTML e-mail with a plain-text part, via SMTP.

    Server settings come from the environment (``LINKLETTER_SMTP_HOST``, ``_PORT``, ``_USER``,
    ``_PASSWORD``, ``_FROM``, ``_STARTTLS``). The Message-ID is derived from the key, but SMTP
    cannot be asked what was sent: a crash between sending and recording may send twice.
    """

    name: str

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return [(issue.title, render_text(issue), render_html_email(issue))]

    async def post(self, part: Any, key: str) -> str:
        return await asyncio.to_thread(self._send, part, key)

    def _send(self, part: Any, key: str) -> str:
        subject, text, html = part
        env = os.environ
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = env.get("LINKLETTER_SMTP_FROM", "linkletter@localhost")
        message["To"] = self.name.removeprefix("smtp:")
        message["Message-ID"] = f"<{key.replace(':', '.')}@linkletter>"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        host = env.get("LINKLETTER_SMTP_HOST", "127.0.0.1")
        port = int(env.get("LINKLETTER_SMTP_PORT", "25"))
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            if env.get("LINKLETTER_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"):
                smtp.starttls()
            if env.get("LINKLETTER_SMTP_USER"):
                smtp.login(env["LINKLETTER_SMTP_USER"], env.get("LINKLETTER_SMTP_PASSWORD", ""))
            smtp.send_message(message)
        return str(message["Message-ID"])

    async def find(self, key: str) -> str | None:
        return None


def build_destinations(names: list[str], chat: dict[str, ChatPublisher]) -> dict[str, Destination]:
    """Destinations for a digest's ``publish_to``; chat platforms without an adapter are absent."""
    found: dict[str, Destination] = {}
    for name in names:
        kind = name.split(":", 1)[0]
        if kind in chat:
            found[name] = ChatDestination(name, chat[kind])
        elif kind == "file":
            found[name] = FileDestination(name)
        elif kind == "smtp":
            found[name] = SmtpDestination(name)
    return found
