"""History imports (issues 8, 16): real export samples and real-shaped ones, through the same
batched, idempotent path the CLI uses. Each fixture's source is in fixtures/console/SOURCES.md."""

from __future__ import annotations

import asyncio
import json
import shutil
import zipfile
from collections.abc import Collection
from pathlib import Path

import pytest

from adapters.discord.export import DiscordExport
from adapters.slack.export import SlackExport
from bot.capture.history import ImportReport, NotAnExport
from bot.cli.importing import Totals, import_events, summary
from bot.events import ChatEvent, MessagePosted, ReactionAdded
from storage.db import Database
from tests.core.helpers import items, service

FIXTURES = Path(__file__).parents[1] / "fixtures" / "console"
DCE = FIXTURES / "dce"
FERRY_GENERAL = "discord:1506019498094891120"
CONFIG = """
[[digest]]
name = "weekly"
sources = ["slack:C061A0WJG", "slack:C061A0YJG", "slack:G061A0PRV", "slack:C0NOTHERE",
           "discord:1100000000000000001", "discord:1506019498094891120"]
editors = ["discord:1506020000000000002", "discord:role:3100000000000000001",
           "discord:2100000000000000003", "slack:U8VAHEVUY"]
"""
WATCHED = frozenset(
    {
        "slack:C061A0WJG",
        "slack:C061A0YJG",
        "slack:G061A0PRV",
        "slack:C0NOTHERE",
        "discord:1100000000000000001",
        FERRY_GENERAL,
    }
)


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in folder.rglob("*.json"):
            archive.write(file, file.relative_to(folder).as_posix())
    return target


def _read(
    export: SlackExport | DiscordExport, watched: Collection[str] = WATCHED
) -> tuple[list[ChatEvent], ImportReport]:
    report = ImportReport()
    return list(export.events(watched, report)), report


def _import(db: Database, export: SlackExport | DiscordExport) -> tuple[ImportReport, Totals]:
    report = ImportReport()
    events = export.events(WATCHED, report)
    return report, asyncio.run(import_events(service(db, CONFIG), events, report, "test"))


def _posts(events: list[ChatEvent]) -> list[MessagePosted]:
    return [event for event in events if isinstance(event, MessagePosted)]


# --- Slack --------------------------------------------------------------------------------------
def test_slack_export_zip_and_folder_give_the_same_events(tmp_path: Path) -> None:
    folder = FIXTURES / "slack-export"
    zipped, _ = _read(SlackExport(_zip(folder, tmp_path / "export.zip")))
    unpacked, _ = _read(SlackExport(folder))
    assert zipped == unpacked
    assert len(zipped) > 0


def test_slack_export_captures_links_once(db: Database, tmp_path: Path) -> None:
    export = SlackExport(_zip(FIXTURES / "slack-export", tmp_path / "export.zip"))
    report, totals = _import(db, export)
    # the export's Slack file page (plan8team.slack.com/files/…) is no item: members only
    [item] = items(db)
    assert (item.canonical_url, item.first_shared_by) == (
        "https://chat.zulip.org/",
        "slack:U06NU4E26M9",
    )
    assert (report.messages, totals.new_items) == (14, 1)
    assert report.skipped == {"system (channel_join)": 4}
    _report, again = _import(db, export)  # importing twice changes nothing
    assert (again.new, again.new_items, again.links, len(items(db))) == (0, 0, 0, 1)


def test_a_private_channel_from_groups_json_is_imported(db: Database) -> None:
    report, totals = _import(db, SlackExport(FIXTURES / "slack-private"))
    by_url = {item.canonical_url: item for item in items(db)}
    assert sorted(by_url) == [  # a bot's post is not captured (as live, by default)
        "https://example.org/edited-read",
        "https://example.org/private-read",
    ]
    assert by_url["https://example.org/private-read"].why == "it is our migration plan"
    assert "https://example.org/dm-secret" not in by_url  # DMs are never read
    assert report.messages == 7
    assert report.skipped == {
        "unreadable": 1,
        "system (channel_join)": 1,
        "system (tombstone)": 1,
    }
    assert (totals.links, totals.new_items) == (2, 2)


def test_slack_warnings_name_what_was_skipped() -> None:
    _events, report = _read(SlackExport(FIXTURES / "slack-private"))
    warnings = "\n".join(report.warnings)
    assert "slack:C0NOTHERE is a source but is not in this export" in warnings
    assert "editors-private/2018-01-21.json: skipped, not a readable day file" in warnings
    assert "editors-private/2018-01-20.json: message '1516455100.000600'" in warnings
    assert "neither 'user' nor 'bot_id'" in warnings
    assert report.done == report.total > 0


def test_slack_day_files_with_a_byte_order_mark_are_read() -> None:
    day = FIXTURES / "slack-private" / "editors-private" / "2018-01-20.json"
    assert day.read_bytes().startswith(b"\xef\xbb\xbf")
    events, _report = _read(SlackExport(FIXTURES / "slack-private"))
    assert any(isinstance(e, MessagePosted) and "private-read" in e.text for e in events)


def test_unwatched_slack_channels_are_not_read() -> None:
    events, report = _read(SlackExport(FIXTURES / "slack-export"), watched={"slack:C061A0YJG"})
    assert {event.channel for event in events} == {"slack:C061A0YJG"}
    assert report.messages == 1  # general's one message; random's 13 are not read


def test_org_users_json_names_the_authors(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "slack-export", export)
    (export / "users.json").rename(export / "org_users.json")
    events, _report = _read(SlackExport(export))
    names = {e.author.id: e.author.name for e in events if isinstance(e, MessagePosted)}
    assert (names["slack:U8VAHEVUY"], names["slack:U6006P1CN"]) == ("Steve", "k._")


def test_a_channel_entry_without_a_name_is_skipped_not_fatal(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "slack-export", export)
    listing = json.loads((export / "channels.json").read_text())
    del listing[0]["name"]  # random: its folder is no longer a channel
    (export / "channels.json").write_text(json.dumps(listing))
    events, report = _read(SlackExport(export))
    assert {event.channel for event in events} == {"slack:C061A0YJG"}
    assert "channels.json: skipped an entry without a name and id" in report.warnings


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04garbage"])
def test_not_a_slack_export(tmp_path: Path, content: bytes) -> None:
    bogus = tmp_path / "export.zip"
    bogus.write_bytes(content)
    with pytest.raises(NotAnExport, match="not a Slack export"):
        SlackExport(bogus)


def test_zip_without_channels_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(NotAnExport, match=r"no channels\.json"):
        SlackExport(tmp_path / "x.zip")


# --- Discord ------------------------------------------------------------------------------------
def test_discord_export_with_reply_why_and_reactions(db: Database) -> None:
    _import(db, DiscordExport(FIXTURES / "discord-export.json"))
    _import(db, DiscordExport(FIXTURES / "discord-export.json"))
    by_url = {item.canonical_url: item for item in items(db)}
    pipelines = by_url["https://example.org/boring-pipelines"]
    assert (pipelines.status, pipelines.votes) == ("approved", 1)
    assert pipelines.why == "our on-call plan for next quarter"
    assert by_url["https://example.org/sql-style"].status == "draft"


def test_current_exporter_output_imports_and_skips_only_the_bad_messages(db: Database) -> None:
    """``"id": ""`` on Unicode-emoji reactions, ``users`` per reaction, offsets in timestamps,
    a forward, a system message and two unreadable messages in one file."""
    report, totals = _import(db, DiscordExport(DCE / "dce-links.json"))
    by_url = {item.canonical_url: item for item in items(db)}
    assert sorted(by_url) == [
        "https://example.org/boring-pipelines",
        "https://example.org/edited-link",
        "https://example.org/sql-style",
    ]
    pipelines = by_url["https://example.org/boring-pipelines"]
    assert (pipelines.status, pipelines.votes) == ("approved", 1)  # dee's two emoji: one voter
    assert pipelines.why == "our on-call plan for next quarter"
    assert report.messages == 8
    assert report.skipped == {"unreadable": 2, "system (GuildMemberJoin)": 1}
    warnings = "\n".join(report.warnings)
    assert "message '1506021000000000004': author is not an object" in warnings
    assert "message '1506021000000000005': timestamp is not an ISO 8601 time" in warnings
    assert (totals.links, totals.new_items, len(totals.touched)) == (3, 3, 3)
    assert summary("dce-links.json", report, totals)[0] == (
        "dce-links.json: 8 messages read, 3 links captured, 3 items new, 0 merged into "
        "existing items; 3 messages skipped (2 unreadable, 1 system (GuildMemberJoin))."
    )


def test_a_thread_export_counts_for_its_parent_channel() -> None:
    """A real DiscordChatExporter 2.47.1 export of a thread (parent in ``categoryId``)."""
    export = DiscordExport(DCE / "ferry-thread.json")
    events, report = _read(export)
    assert export.channel == FERRY_GENERAL
    assert [(e.channel, e.message_id, e.thread_parent) for e in _posts(events)] == [
        (FERRY_GENERAL, "1506019529476800745", "1506019505778987190")
    ]
    assert report.skipped == {"system (21)": 1}  # the thread starter stub


def test_a_real_channel_export_reads_every_message() -> None:
    events, report = _read(DiscordExport(DCE / "ferry-general.json"))
    assert (report.messages, len(events)) == (11, 10)
    assert report.skipped == {"system (ThreadCreated)": 1}
    assert all(isinstance(e, MessagePosted) and e.author.is_bot for e in events)
    assert report.done == report.total


def test_an_unwatched_discord_channel_is_a_warning() -> None:
    events, report = _read(DiscordExport(DCE / "ferry-general.json"), watched=set())
    assert events == []
    assert report.warnings == [
        f"{FERRY_GENERAL} (#general) is not a source of any digest: nothing imported"
    ]


def test_reactions_with_empty_emoji_ids_are_unicode_emoji() -> None:
    events, _report = _read(DiscordExport(DCE / "dce-links.json"))
    emoji = sorted(e.emoji for e in events if isinstance(e, ReactionAdded))
    assert emoji == ["lemon_blush:754441880066064584", "✅", "👍"]


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    marked = tmp_path / "export.json"
    marked.write_bytes(b"\xef\xbb\xbf" + (DCE / "ferry-general.json").read_bytes())
    events, _report = _read(DiscordExport(marked))
    assert len(events) == 10


def test_a_file_cut_off_midway_keeps_what_came_before(tmp_path: Path) -> None:
    cut = tmp_path / "export.json"
    text = (DCE / "ferry-general.json").read_text()
    cut.write_text(text[: text.index('"id": "1506019507624218804"')])
    report = ImportReport()
    read: list[ChatEvent] = []
    with pytest.raises(NotAnExport, match="breaks off after message 3"):
        read.extend(DiscordExport(cut).events({FERRY_GENERAL}, report))
    assert len(read) == 3


@pytest.mark.parametrize(
    "content",
    ["[]", '{"messages": []}', "not json", '{"channel": {}, "messages": []}', ""],
)
def test_not_a_discord_export(tmp_path: Path, content: str) -> None:
    bogus = tmp_path / "export.json"
    bogus.write_text(content)
    with pytest.raises(NotAnExport, match="DiscordChatExporter"):
        DiscordExport(bogus)


def test_numbered_channel_types_of_older_exports_are_threads_too(tmp_path: Path) -> None:
    data = json.loads((DCE / "ferry-thread.json").read_text())
    data["channel"]["type"] = 11  # before 2.47 the channel type was a number
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    assert DiscordExport(old).channel == FERRY_GENERAL
