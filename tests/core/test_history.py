"""Memory across issues (issue 21): an article an earlier issue carried is recognised when it is
shared again, stays out of the next issue unless an editor approves it again, and is then marked
"revisited" — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from bot.cli.items import item_record
from bot.config import ScoreWeights
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.digest.render.markdown import render_markdown
from bot.events import AddReaction, ReplyInThread
from bot.ports import CommandRequest
from storage.db import Database
from storage.repo import Repo
from tests.core.fakes import RecordingPublisher
from tests.core.helpers import ANN, BOB, EDITOR, READER, at, only_item, post, react, service
from tests.core.test_publish import Clock

CONFIG = """
[[digest]]
name = "weekly"
sources = ["slack:C1", "discord:100"]
publish_to = ["slack:CPUB"]
editors = ["slack:UED"]
"""
ARTICLE = "https://example.com/post?utm_source=x"


def _engine(db: Database, minute: float) -> PublishEngine:
    core = service(db, CONFIG)

    def destinations(_: Any) -> dict[str, Destination]:
        return build_destinations(["slack:CPUB"], {"slack": RecordingPublisher()})

    return PublishEngine(core.config, db, destinations, now=Clock(at(minute)))


async def _published_once(db: Database) -> None:
    """The article shared, approved by a ✅ and published in issue #1 at minute 100."""
    core = service(db, CONFIG)
    core.handle_sync(post("slack:C1", "1", ANN, f"{ARTICLE} why: it matters"))
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 1))
    report = await _engine(db, 100).publish("weekly", "p1")
    assert report.outcome == "published"


def _listed(db: Database) -> dict[str, Any]:
    with db.session() as session:
        listing = Repo(session).item_listing("weekly")
        [record] = [item_record(i, s, ScoreWeights()) for i, s in listing]
    return record


def _command(name: str, args: str, user: Any = EDITOR) -> CommandRequest:
    return CommandRequest(name, args, user, "slack:C1", "slack")


async def test_a_share_of_a_published_article_says_which_issue(db: Database) -> None:
    await _published_once(db)
    core = service(db, CONFIG)
    # another spelling (no tracking parameter), on the other platform
    outcome = core.handle_sync(post("discord:100", "9", BOB, "https://example.com/post", 200))
    [receipt] = outcome.effects
    assert isinstance(receipt, ReplyInThread)
    assert "Already in issue #1 (2026-11-16)" in receipt.text
    item = only_item(db)
    assert item.status == "published"  # the ✅ from before the issue does not bring it back
    record = _listed(db)
    assert record["published_in"] == {"issue": 1, "date": "2026-11-16"}
    assert record["revisited"] is False
    queue = await core.command(_command("queue", ""))
    assert "· in issue #1 (2026-11-16)" in queue.text
    assert [e.published_in for e in queue.entries] == ["issue #1 (2026-11-16)"]
    added = await core.command(_command("add", "https://example.com/post", READER))
    assert "already published in issue #1 (2026-11-16)" in added.text
    preview = await _engine(db, 300).preview(core.config.digest("weekly"))
    assert preview.is_empty


async def test_receipts_none_sends_nothing_for_a_published_article(db: Database) -> None:
    await _published_once(db)
    quiet = '[receipts]\nduplicate_mode = "none"\n' + CONFIG
    outcome = service(db, quiet).handle_sync(post("slack:C1", "9", BOB, ARTICLE, 200))
    assert outcome.effects == ()


async def test_an_editor_approving_again_brings_it_back_revisited(db: Database) -> None:
    await _published_once(db)
    core = service(db, CONFIG)
    core.handle_sync(post("slack:C1", "9", BOB, ARTICLE, 200))
    item = only_item(db)
    done = await core.command(_command("approve", str(item.id)))
    assert "is now approved" in done.text
    assert _listed(db)["revisited"] is True
    queue = await core.command(_command("queue", ""))
    assert [(e.status, e.revisited) for e in queue.entries] == [("approved", True)]
    preview = await _engine(db, 300).preview(core.config.digest("weekly"))
    [entry] = preview.items
    assert entry.revisited
    assert "(revisited)" in render_markdown(preview)
    report = await _engine(db, 400).publish("weekly", "p2")
    assert (report.outcome, report.number) == ("published", 2)
    record = _listed(db)
    assert (record["status"], record["revisited"]) == ("published", False)
    assert record["published_in"] == {"issue": 2, "date": "2026-11-16"}


async def test_a_new_editor_reaction_after_the_issue_counts_as_approving_again(
    db: Database,
) -> None:
    await _published_once(db)
    core = service(db, CONFIG)
    core.handle_sync(post("slack:C1", "9", BOB, ARTICLE, 200))
    core.handle_sync(react("slack:C1", "9", EDITOR, "white_check_mark", 201))
    assert only_item(db).status == "approved"
    core.handle_sync(react("slack:C1", "9", READER, "white_check_mark", 202))  # a vote
    assert only_item(db).status == "approved"


async def test_a_new_article_still_gets_the_captured_receipt(db: Database) -> None:
    await _published_once(db)
    outcome = service(db, CONFIG).handle_sync(
        post("slack:C1", "9", BOB, "https://example.com/other", 200)
    )
    assert [type(e) for e in outcome.effects] == [AddReaction]
