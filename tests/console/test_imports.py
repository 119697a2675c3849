"""History imports through the same idempotent path (issue 8), from real export samples."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from adapters.console.imports import NotAnExport, discord_export_events, slack_export_events
from storage.db import Database
from tests.core.helpers import items, service

FIXTURES = Path(__file__).parents[1] / "fixtures" / "console"
CONFIG = """
[[digest]]
name = "weekly"
sources = ["slack:C061A0WJG", "slack:C061A0YJG", "discord:1100000000000000001"]
editors = ["discord:role:3100000000000000001", "discord:2100000000000000003"]
"""


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in folder.rglob("*.json"):
            archive.write(file, file.relative_to(folder).as_posix())
    return target


def test_slack_export_zip_and_folder_give_the_same_events(tmp_path: Path) -> None:
    folder = FIXTURES / "slack-export"
    assert slack_export_events(_zip(folder, tmp_path / "export.zip")) == slack_export_events(folder)


def test_slack_export_captures_links_once(db: Database, tmp_path: Path) -> None:
    core = service(db, CONFIG)
    events = slack_export_events(_zip(FIXTURES / "slack-export", tmp_path / "export.zip"))
    for event in events + events:  # importing twice changes nothing
        core.handle_sync(event)
    [item] = items(db)  # the export's Slack file page (plan8team.slack.com/files/…) is no item
    assert (item.canonical_url, item.first_shared_by) == (
        "https://chat.zulip.org/",
        "slack:U06NU4E26M9",
    )


def test_discord_export_with_reply_why_and_reactions(db: Database) -> None:
    core = service(db, CONFIG)
    for event in discord_export_events(FIXTURES / "discord-export.json") * 2:
        core.handle_sync(event)
    by_url = {item.canonical_url: item for item in items(db)}
    pipelines = by_url["https://example.org/boring-pipelines"]
    assert (pipelines.status, pipelines.votes) == ("approved", 1)
    assert pipelines.why == "our on-call plan for next quarter"
    assert by_url["https://example.org/sql-style"].status == "draft"


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04garbage"])
def test_not_a_slack_export(tmp_path: Path, content: bytes) -> None:
    bogus = tmp_path / "export.zip"
    bogus.write_bytes(content)
    with pytest.raises(NotAnExport, match="not a Slack export"):
        slack_export_events(bogus)


def test_zip_without_channels_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(NotAnExport, match=r"no channels\.json"):
        slack_export_events(tmp_path / "x.zip")


@pytest.mark.parametrize(
    "content", ["[]", '{"messages": []}', "not json", '{"channel": {}, "messages": []}']
)
def test_not_a_discord_export(tmp_path: Path, content: str) -> None:
    bogus = tmp_path / "export.json"
    bogus.write_text(content)
    with pytest.raises(NotAnExport, match="DiscordChatExporter"):
        discord_export_events(bogus)
