"""Sharers' display names: stored per person, and a name learnt later fixes earlier shares."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.events import Author
from bot.web.stats import read_stats
from storage.db import Database
from storage.repo import Repo
from tests.core.helpers import T0, only_item, post, service

SLACK_ANN = Author("slack:UANN")  # Slack messages from people carry no name


def sharer_name(db: Database) -> str | None:
    item_id = only_item(db).id or 0
    with db.session() as session:
        return Repo(session).sharer_names([item_id]).get(item_id)


def top_sharers(db: Database) -> list[tuple[str, int]]:
    stats = read_stats(db, ["weekly"], ["weekly"], T0 + timedelta(days=1))
    return [(ranked.label, ranked.count) for ranked in stats.sharers or []]


def test_a_name_resolved_later_fixes_earlier_shares_and_later_ones(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", SLACK_ANN, "https://a.com/x"))
    assert sharer_name(db) is None
    asyncio.run(core.name_resolved("slack:UANN", "Ann \u202eExample"))
    assert sharer_name(db) == "Ann Example"  # cleaned like everything that enters
    core.handle_sync(post("slack:C2", "2", SLACK_ANN, "https://a.com/x", 1))
    core.handle_sync(post("slack:C1", "3", SLACK_ANN, "https://b.com/y", 2))
    assert top_sharers(db) == [("Ann Example", 3)]


def test_a_rename_on_a_later_event_is_shown_on_every_share(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("discord:100", "1", Author("discord:42", "bob"), "https://a.com/x"))
    core.handle_sync(post("discord:100", "2", Author("discord:42", "Bobby"), "https://b.com/", 1))
    assert top_sharers(db) == [("Bobby", 2)]
    with db.session() as session:
        repo = Repo(session)
        names = repo.sharer_names([item.id or 0 for item in repo.items("weekly")])
    assert sorted(names.values()) == ["Bobby", "Bobby"]


def test_an_event_without_a_name_keeps_the_known_one(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", Author("slack:UANN", "Ann"), "https://a.com/x"))
    core.handle_sync(post("slack:C1", "1", SLACK_ANN, "https://a.com/x edited", 1))
    assert sharer_name(db) == "Ann"


def test_stats_disarm_a_name_stored_before_cleaning_at_ingest(db: Database) -> None:
    service(db).handle_sync(post("slack:C1", "1", Author("slack:UEVE", "Eve"), "https://a.com/"))
    item_id = only_item(db).id or 0
    with db.session() as session:  # a row written by an older version, uncleaned
        for share in Repo(session).shares_of_item(item_id):
            share.user_name = "\u202emoc.elgoog"
    assert top_sharers(db) == [("moc.elgoog", 1)]
