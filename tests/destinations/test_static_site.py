"""The git destination against a real ``git init`` checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.deliver.services.build import PlatformError
from bot.deliver.services.settings import GitSettings
from bot.deliver.services.static_site import GitDestination
from tests.digest.issues import realistic_issue


def git(checkout: Path, *args: str) -> str:
    command = ["git", "-C", str(checkout), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    git(site, "init", "--quiet")
    return site


def destination(checkout: Path, **options: object) -> GitDestination:
    settings = GitSettings.model_validate({"kind": "git", "path": str(checkout), **options})
    return GitDestination("git:site", settings)


async def test_writes_dated_markdown_with_extra_front_matter_and_commits_once(
    checkout: Path,
) -> None:
    issue = realistic_issue()
    site = destination(
        checkout,
        folder="blog",
        commit=True,
        front_matter={"author": "Linkletter", "draft": False, "tags_extra": ["ml"]},
    )
    [part] = site.parts(issue)
    first = await site.post(part, "weekly:7:git:site:0")
    again = await site.post(part, "weekly:7:git:site:0")
    written = checkout / "blog" / f"2026-11-23-{issue.digest}-{issue.number}.md"
    assert first == again == f"{written}@{git(checkout, 'rev-parse', 'HEAD').strip()}"
    assert git(checkout, "rev-list", "--count", "HEAD").strip() == "1"  # same content: no commit
    assert git(checkout, "status", "--porcelain") == ""
    text = written.read_text(encoding="utf-8")
    front, body = text.split("\n---\n", 1)
    assert front.startswith("---\ntitle: ")
    assert front.endswith('author: "Linkletter"\ndraft: false\ntags_extra: ["ml"]')
    assert issue.items[0].url in body
    log = git(checkout, "log", "-1", "--format=%an <%ae>%n%B")
    assert log.startswith("Linkletter <linkletter@localhost>\nLinkletter: 2026-11-23-")
    assert "weekly:7:git:site:0" in log


async def test_changed_content_makes_a_new_commit_of_that_file_only(checkout: Path) -> None:
    (checkout / "notes.txt").write_text("the editor's own work in progress\n")
    git(checkout, "add", "notes.txt")
    site = destination(checkout, commit=True)
    name, content = site.parts(realistic_issue())[0]
    await site.post((name, content), "k")
    await site.post((name, content + "\nA late correction.\n"), "k")
    assert git(checkout, "rev-list", "--count", "HEAD").strip() == "2"
    assert git(checkout, "show", "--name-only", "--format=", "HEAD").split() == [
        f"content/newsletter/{name}"
    ]
    assert git(checkout, "status", "--porcelain") == "A  notes.txt\n"  # still staged, not committed


async def test_without_commit_only_the_file_is_written(checkout: Path) -> None:
    site = destination(checkout)
    name, content = site.parts(realistic_issue())[0]
    assert await site.post((name, content), "k") == str(checkout / "content/newsletter" / name)
    assert git(checkout, "status", "--porcelain").strip() == "?? content/"
    assert await site.find("k") is None


async def test_not_a_checkout_is_reported(tmp_path: Path) -> None:
    site = destination(tmp_path, commit=True)
    with pytest.raises(PlatformError, match="git add failed: fatal: not a git repo"):
        await site.post(site.parts(realistic_issue())[0], "k")


@pytest.mark.parametrize("folder", ["/etc", "../outside", "blog/../../x"])
def test_folder_must_stay_inside_the_checkout(folder: str) -> None:
    with pytest.raises(ValueError, match="relative path inside the checkout"):
        GitSettings(kind="git", path="/srv/site", folder=folder)
