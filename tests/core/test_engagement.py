"""Most discussed (issue 21): engagement counts derived from the facts, the weighted score in the
queue, ``items list --json`` and the preview, ``order = "score"``, and the preview's suggestions
of lively unapproved links — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cli.items import item_record, score_weights
from bot.config import ConfigError, parse_config
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.deliver.ops import EngineOps
from bot.events import Author
from bot.ports import CommandRequest
from storage.db import Database
from storage.repo import Repo
from tests.core.fakes import RecordingPublisher
from tests.core.helpers import ANN, BOB, EDITOR, READER, at, items, post, react, service
from tests.core.test_publish import Clock

CONFIG = """
[[digest]]
name = "weekly"
sources = ["slack:C1", "slack:C2", "discord:100"]
publish_to = ["slack:CPUB"]
editors = ["slack:UED"]
"""
BOT = Author("slack:UBOT", "Bot", is_bot=True)
CAL = Author("slack:UCAL", "Cal")


def _discussed(db: Database, config: str = CONFIG) -> None:
    """One article shared on two platforms and argued about; a second one barely noticed."""
    core = service(db, config)
    core.handle_sync(post("slack:C1", "1", ANN, "https://example.com/hot why: big news"))
    core.handle_sync(post("discord:100", "2", BOB, "https://example.com/hot", 1))
    core.handle_sync(post("slack:C1", "3", READER, "I disagree, see the numbers", 2, "1"))
    core.handle_sync(post("slack:C1", "4", CAL, "numbers are fine", 3, "1"))
    core.handle_sync(react("slack:C1", "1", READER, "thumbsup", 4))
    core.handle_sync(react("slack:C1", "1", BOT, "eyes", 4))
    core.handle_sync(post("slack:C2", "5", ANN, "https://example.com/quiet", 5))


def _records(db: Database, config: str = CONFIG) -> dict[str, dict[str, Any]]:
    weights = score_weights(parse_config(config))
    with db.session() as session:
        listing = Repo(session).item_listing("weekly")
        return {i["canonical_url"]: item_record(i, s, weights(i["digest"])) for i, s in listing}


def test_counts_and_score_come_from_the_discussion(db: Database) -> None:
    _discussed(db)
    hot = _records(db)["https://example.com/hot"]
    assert hot["engagement"] == {
        "reactor": 1,  # the bot's 👀 does not count
        "reply": 2,
        "participant": 4,  # Ann, Bob (sharers), Rae, Cal (repliers; Rae also reacted)
        "channel": 2,
        "platform": 2,
    }
    # reactor 1 + vote 1 + replies 2 + participants 4 + one more channel 2 + platform 2
    assert hot["score"] == 12
    quiet = _records(db)["https://example.com/quiet"]
    assert (quiet["score"], quiet["engagement"]["participant"]) == (1, 1)


def test_weights_come_from_the_config_and_the_editor_boost_counts(db: Database) -> None:
    weighted = CONFIG + "[digest.score]\nreplies = 10\nparticipants = 0\nfeatured = 100\n"
    _discussed(db, weighted)
    hot = _records(db, weighted)["https://example.com/hot"]
    assert hot["score"] == 1 + 1 + 2 * 10 + 0 + 2 + 2
    service(db, weighted).handle_sync(react("slack:C2", "5", EDITOR, "star", 6))
    quiet = _records(db, weighted)["https://example.com/quiet"]
    assert quiet["score"] == 100 + 1  # the ⭐ is a reaction too, not a vote


def test_negative_weight_is_refused_with_the_key() -> None:
    with pytest.raises(ConfigError, match=r"score\.replies"):
        parse_config(CONFIG + "[digest.score]\nreplies = -1\n")


def _engine(db: Database, config: str) -> PublishEngine:
    core = service(db, config)

    def destinations(_: Any) -> dict[str, Destination]:
        return build_destinations(["slack:CPUB"], {"slack": RecordingPublisher()})

    return PublishEngine(core.config, db, destinations, now=Clock(at(100)))


def _approve_both(db: Database, config: str) -> None:
    _discussed(db, config)
    core = service(db, config)
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 10))
    core.handle_sync(react("slack:C2", "5", EDITOR, "white_check_mark", 10))
    for user in (READER, CAL, BOB):  # the quiet one has the most votes
        core.handle_sync(react("slack:C2", "5", user, "heart", 11))


@pytest.mark.parametrize(("order", "first"), [("votes", "quiet"), ("score", "hot")])
async def test_order_score_puts_the_most_discussed_first(
    db: Database, order: str, first: str
) -> None:
    config = CONFIG.replace("editors = [", f'order = "{order}"\neditors = [')
    _approve_both(db, config)
    engine = _engine(db, config)
    issue = await engine.preview(engine.config.digest("weekly"))
    assert issue.items[0].url == f"https://example.com/{first}"


async def test_preview_names_the_most_discussed_and_suggests_lively_drafts(db: Database) -> None:
    _discussed(db)
    service(db, CONFIG).handle_sync(react("slack:C2", "5", EDITOR, "white_check_mark", 10))
    text = await EngineOps(_engine(db, CONFIG)).preview_text("weekly")
    [hot] = [item for item in items(db) if item.canonical_url.endswith("/hot")]
    assert "Most discussed in this issue: 1. https://example.com/quiet (score 3)" in text
    assert f"1 more link had lively discussion: item {hot.id}: https://example.com/hot" in text
    assert "(score 12). Approve with ✅" in text


async def test_queue_shows_the_score(db: Database) -> None:
    _discussed(db)
    request = CommandRequest("queue", "", EDITOR, "slack:C1", "slack")
    reply = await service(db, CONFIG).command(request)
    assert "(0 votes, score 12, Links)" not in reply.text  # Rae's 👍 is a vote
    assert "(1 votes, score 12, Links)" in reply.text
    assert sorted(entry.score for entry in reply.entries) == [1, 12]
