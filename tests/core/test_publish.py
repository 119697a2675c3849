"""Exactly-once publication (issue 5; reliability rows 18 and 19) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.config import DigestConfig
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import LEASE, PublishEngine, PublishOutcome
from storage.db import Database
from tests.core.fakes import Crash, RecordingPublisher
from tests.core.helpers import ANN, EDITOR, at, items, post, react, service

CONFIG = """
[[digest]]
name = "weekly"
sources = ["slack:C1"]
publish_to = ["slack:CPUB", "slack:CPUB2"]
editors = ["slack:UED"]
"""


class Clock:
    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


def seed(db: Database, count: int = 60, config: str = CONFIG) -> None:
    """``count`` approved items: enough for several Slack messages per destination."""
    core = service(db, config)
    for n in range(count):
        core.handle_sync(
            post("slack:C1", f"{n}", ANN, f"https://example.com/{n} why: reason {n}", n)
        )
        core.handle_sync(react("slack:C1", f"{n}", EDITOR, "white_check_mark", n + 1))


def engine(
    db: Database, publisher: RecordingPublisher, clock: Clock, config: str = CONFIG
) -> PublishEngine:
    core = service(db, config)

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return build_destinations(digest.publish_to, {"slack": publisher})

    return PublishEngine(core.config, db, destinations, now=clock)


async def test_publishes_every_part_once_and_marks_items(db: Database) -> None:
    seed(db)
    publisher = RecordingPublisher()
    report = await engine(db, publisher, Clock(at(100))).publish("weekly", "2026-11-23T09:00")
    assert report.outcome == "published"
    assert report.number == 1
    keys = publisher.posted_keys()
    assert len(keys) == len(set(keys)) > 2  # several messages per destination, none twice
    assert {k.split(":")[2] + ":" + k.split(":")[3] for k in keys} == {"slack:CPUB", "slack:CPUB2"}
    assert {i.status for i in items(db)} == {"published"}
    again = await engine(db, publisher, Clock(at(101))).publish("weekly", "2026-11-23T09:00")
    assert again.outcome == "already-published"
    assert len(publisher.posts) == len(keys)


@pytest.mark.parametrize("crash_at", [1, 2, 3, 4])
async def test_crash_after_any_post_resumes_without_duplicates(db: Database, crash_at: int) -> None:
    """Reliability row 19: killed after posting, before recording -> no duplicate on restart."""
    seed(db)
    publisher = RecordingPublisher(crash_after_post={crash_at})
    clock = Clock(at(100))
    with pytest.raises(Crash):
        await engine(db, publisher, clock).publish("weekly", "p1")
    assert {i.status for i in items(db)} == {"approved"}  # not marked before completion
    clock.value += LEASE + timedelta(seconds=1)  # the dead process's lease runs out
    report = await engine(db, publisher, clock).publish("weekly", "p1")
    assert report.outcome == "published"
    assert max(Counter(publisher.posted_keys()).values()) == 1
    clean = RecordingPublisher()
    twin_keys = await _uninterrupted_keys(db, clean)
    assert sorted(publisher.posted_keys()) == sorted(twin_keys)


async def _uninterrupted_keys(db: Database, publisher: RecordingPublisher) -> list[str]:
    """Re-post the stored issue to a fresh publisher: the parts an uninterrupted run posts."""
    from bot.digest import store
    from storage.issues import IssueRepo

    with db.session() as session:
        row = IssueRepo(session).issue("weekly", "p1")
        assert row is not None
        issue = store.loads(row.compiled)
    keys = []
    for name, destination in build_destinations(
        ["slack:CPUB", "slack:CPUB2"], {"slack": publisher}
    ).items():
        keys += [f"weekly:{row.number}:{name}:{i}" for i in range(len(destination.parts(issue)))]
    return keys


async def test_crash_before_completion_marks_on_restart(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db, 3)
    publisher = RecordingPublisher()
    clock = Clock(at(100))
    first = engine(db, publisher, clock)

    def die(*_: object) -> bool:
        raise Crash("killed before marking")

    monkeypatch.setattr(first, "_complete", die)
    with pytest.raises(Crash):
        await first.publish("weekly", "p1")
    posted = len(publisher.posts)
    clock.value += LEASE * 2
    report = await engine(db, publisher, clock).publish("weekly", "p1")
    assert (report.outcome, len(publisher.posts)) == ("published", posted)
    assert {i.status for i in items(db)} == {"published"}


async def test_live_claim_is_not_taken_over(db: Database) -> None:
    seed(db, 2)
    publisher = RecordingPublisher(crash_after_post={1})
    clock = Clock(at(100))
    with pytest.raises(Crash):
        await engine(db, publisher, clock).publish("weekly", "p1")
    report = await engine(db, publisher, clock).publish("weekly", "p1")
    assert report.outcome == "busy"


async def test_concurrent_engines_post_once(db: Database) -> None:
    """Reliability row 18: three schedulers firing at once -> one post per digest and period."""
    seed(db, 5)
    publisher = RecordingPublisher()
    clock = Clock(at(100))
    engines = [engine(db, publisher, clock) for _ in range(3)]
    reports = await asyncio.gather(*(e.publish("weekly", "p1") for e in engines))
    assert sorted(r.outcome for r in reports).count(PublishOutcome.published) == 1
    assert max(Counter(publisher.posted_keys()).values()) == 1


async def test_failing_destination_does_not_block_others(db: Database) -> None:
    seed(db, 2)
    publisher = RecordingPublisher(fail_channels={"slack:CPUB"})
    clock = Clock(at(100))
    report = await engine(db, publisher, clock).publish("weekly", "p1")
    assert report.outcome == "incomplete"
    assert {key.split(":")[3] for key in publisher.posted_keys()} == {"CPUB2"}
    assert "not reachable" in report.failures[0]
    publisher.fail_channels.clear()
    clock.value += LEASE * 2
    report = await engine(db, publisher, clock).publish("weekly", "p1")
    assert report.outcome == "published"
    assert max(Counter(publisher.posted_keys()).values()) == 1


async def test_next_issue_has_only_new_items_and_next_number(db: Database) -> None:
    seed(db, 2)
    publisher = RecordingPublisher()
    clock = Clock(at(100))
    await engine(db, publisher, clock).publish("weekly", "p1")
    core = service(db, CONFIG)
    core.handle_sync(post("slack:C1", "new", ANN, "https://example.com/new", 200))
    core.handle_sync(react("slack:C1", "new", EDITOR, "white_check_mark", 201))
    report = await engine(db, publisher, clock).publish("weekly", "p2")
    assert report.number == 2
    assert report.issue is not None
    assert [i.url for i in report.issue.items] == ["https://example.com/new"]


async def test_empty_period_posts_nothing_unless_configured(db: Database) -> None:
    publisher = RecordingPublisher()
    report = await engine(db, publisher, Clock(at(1))).publish("weekly", "p1")
    assert (report.outcome, publisher.posts) == ("empty", [])
    loud = CONFIG + 'post_when_empty = true\nempty_text = "Quiet week: nothing shared."\n'
    report = await engine(db, publisher, Clock(at(1)), loud).publish("weekly", "p1")
    assert report.outcome == "published"
    assert len(publisher.posts) == 2
    assert "Quiet week: nothing shared." in str(publisher.posts[0][2]["blocks"])


async def test_file_destination_writes_markdown_and_html(db: Database, tmp_path: Path) -> None:
    config = CONFIG.replace('"slack:CPUB", "slack:CPUB2"', f'"file:{tmp_path}"')
    seed(db, 2, config)
    report = await engine(db, RecordingPublisher(), Clock(at(100)), config).publish("weekly", "p1")
    assert report.outcome == "published"
    markdown = (tmp_path / "weekly-001.md").read_text()
    assert "https://example.com/0" in markdown
    assert "reason 0" in markdown
    assert (tmp_path / "weekly-001.html").read_text().lstrip().lower().startswith("<!doctype html")


async def test_smtp_destination_sends_html_and_text(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 5: e-mail by SMTP, against a real local SMTP server (aiosmtpd)."""
    from email import message_from_bytes
    from email.header import decode_header, make_header
    from email.message import Message

    from aiosmtpd.handlers import Sink
    from aiosmtpd.smtp import SMTP

    class Inbox(Sink):
        def __init__(self) -> None:
            self.messages: list[Message] = []

        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
            return "250 OK"

    inbox = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox), "127.0.0.1", 0)
    try:
        monkeypatch.setenv("LINKLETTER_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("LINKLETTER_SMTP_PORT", str(server.sockets[0].getsockname()[1]))
        monkeypatch.setenv("LINKLETTER_SMTP_FROM", "digest@team.test")
        config = CONFIG.replace('"slack:CPUB", "slack:CPUB2"', '"smtp:readers@team.test"')
        seed(db, 2, config)
        report = await engine(db, RecordingPublisher(), Clock(at(100)), config).publish(
            "weekly", "p1"
        )
        assert report.outcome == "published"
    finally:
        server.close()
    [mail] = inbox.messages
    assert mail["To"] == "readers@team.test"
    assert str(make_header(decode_header(mail["Subject"]))) == "weekly — Issue 1"
    kinds = {part.get_content_type() for part in mail.walk()}
    assert {"text/plain", "text/html"} <= kinds


async def test_crash_right_after_the_claim_resumes_from_the_stored_issue(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 5: a crash between claiming and the first post; the restart posts everything once,
    from the issue compiled at claim time (an item approved meanwhile waits for the next one)."""
    seed(db, 3)
    publisher, clock = RecordingPublisher(), Clock(at(100))
    first = engine(db, publisher, clock)

    async def die(*_: object) -> None:
        raise Crash("killed after the claim")

    monkeypatch.setattr(first, "_deliver", die)
    with pytest.raises(Crash):
        await first.publish("weekly", "p1")
    core = service(db, CONFIG)
    core.handle_sync(post("slack:C1", "late", ANN, "https://example.com/late", 150))
    core.handle_sync(react("slack:C1", "late", EDITOR, "white_check_mark", 151))
    clock.value += LEASE * 2
    report = await engine(db, publisher, clock).publish("weekly", "p1")
    assert report.outcome == "published"
    assert max(Counter(publisher.posted_keys()).values()) == 1
    assert "https://example.com/late" not in str(publisher.posts)
    assert {i.canonical_url: i.status for i in items(db)}["https://example.com/late"] == "approved"


async def test_file_links_are_reported_for_editors(db: Database, tmp_path: Path) -> None:
    config = CONFIG.replace('"slack:CPUB", "slack:CPUB2"', f'"file:{tmp_path}"')
    seed(db, 1, config)
    report = await engine(db, RecordingPublisher(), Clock(at(100)), config).publish("weekly", "p1")
    assert report.links == [str(tmp_path / "weekly-001.md"), str(tmp_path / "weekly-001.html")]
    assert str(tmp_path / "weekly-001.md") in report.describe()


async def test_failures_past_the_last_attempt_are_reported_with_the_issue(db: Database) -> None:
    seed(db, 2)
    publisher = RecordingPublisher(fail_channels={"slack:CPUB"})
    clock = Clock(at(100))
    first = engine(db, publisher, clock)
    first.max_attempts = 1
    report = await first.publish("weekly", "p1")
    assert report.outcome == PublishOutcome.published_with_failures
    assert report.outcome.partial
    assert report.failures == ["slack:CPUB: slack:CPUB is not reachable"]
    described = report.describe()
    assert "issue 1 published" in described
    assert "failed: slack:CPUB: slack:CPUB is not reachable" in described
    again = await engine(db, publisher, clock).publish("weekly", "p1")
    assert again.outcome == PublishOutcome.already_published
    assert not again.outcome.partial


def test_cli_publish_lists_each_failure_and_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is written; the Slack channel has no adapter (no token): exit 3, as --help says."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_TOKEN", "LINKLETTER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINKLETTER_DATABASE_URL", url)
    config = CONFIG.replace(
        '"slack:CPUB", "slack:CPUB2"', f'"file:{tmp_path / "out"}", "slack:CPUB"'
    )
    (tmp_path / "linkletter.toml").write_text(config)
    runner = CliRunner()
    assert runner.invoke(cli_app, ["db", "upgrade"]).exit_code == 0
    seed(Database.connect(url), 2, config)
    result = runner.invoke(cli_app, ["digest", "publish", "--now"])
    assert result.exit_code == 3, result.output
    assert "issue 1 published" in result.output
    assert "failed: slack:CPUB: no adapter configured for it" in result.output
    assert (tmp_path / "out" / "weekly-001.html").exists()
