"""Schedules, previews, catch-up and concurrency (issue 5; reliability rows 18, 20, 21)."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import DigestConfig, parse_config
from bot.deliver.cadence import ScheduleError, last_slot, next_slot, parse_schedule
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.deliver.notify import EditorNotifier
from bot.deliver.scheduler import DigestScheduler
from storage.db import Database
from tests.core.fakes import RecordingPublisher
from tests.core.helpers import ANN, EDITOR, post, react, service

CONFIG = """
[[digest]]
name = "weekly"
sources = ["slack:C1"]
publish_to = ["slack:CPUB"]
editors = ["slack:UED"]
editors_channel = "slack:CEDIT"
schedule = "mon 09:00"
timezone = "Europe/London"
preview_hours = 24
grace_hours = 6
"""
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/London"))


class Clock:
    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


def build(db: Database, clock: Clock, publisher: RecordingPublisher) -> DigestScheduler:
    config = parse_config(CONFIG)

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return build_destinations(digest.publish_to, {"slack": publisher})

    engine = PublishEngine(config, db, destinations, now=clock)
    return DigestScheduler(config, engine, EditorNotifier({"slack": publisher}), now=clock)


def approve_one(db: Database, name: str = "a") -> None:
    core = service(db, CONFIG)
    core.handle_sync(post("slack:C1", name, ANN, f"https://example.com/{name}"))
    core.handle_sync(react("slack:C1", name, EDITOR, "white_check_mark", 1))


def posts_to(publisher: RecordingPublisher, channel: str) -> list[str]:
    return [key for posted, key, _ in publisher.posts if posted == channel]


@pytest.mark.parametrize(
    "schedule", ["mon 09:00", "mon,thu 09:00", "daily 18:30", "weekdays 07:05", "0 9 * * mon"]
)
def test_schedule_forms(schedule: str) -> None:
    trigger = parse_schedule(schedule, "Europe/Berlin")
    assert next_slot(trigger, datetime(2026, 1, 1, tzinfo=UTC)) is not None


@pytest.mark.parametrize("bad", ["someday 09:00", "mon 25:00", "mon", "0 9 * *"])
def test_bad_schedule_says_what_works(bad: str) -> None:
    with pytest.raises(ScheduleError, match="mon 09:00"):
        parse_schedule(bad, "UTC")


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Los_Angeles"])
@pytest.mark.parametrize("hhmm", ["02:30", "00:00"])
def test_weekly_runs_across_2026_dst_changes(zone: str, hhmm: str) -> None:
    """Reliability row 21: one run per week, increasing, each computed in well under 1 s."""
    trigger = parse_schedule(f"sun {hhmm}", zone)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    runs = []
    for _ in range(53):
        started = time.perf_counter()
        fire = next_slot(trigger, now)
        assert time.perf_counter() - started < 1
        assert fire is not None
        runs.append(fire)
        now = fire
    gaps = [(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(runs)]
    assert all(later > earlier for earlier, later in itertools.pairwise(runs))
    assert all(167 <= gap <= 169 for gap in gaps)  # a week, ±1 h at the DST changes


def test_last_slot_is_latest_at_or_before_now() -> None:
    trigger = parse_schedule("mon 09:00", "Europe/London")
    assert last_slot(trigger, MONDAY_9 + timedelta(minutes=1)) == MONDAY_9
    assert last_slot(trigger, MONDAY_9 - timedelta(minutes=1)) == MONDAY_9 - timedelta(days=7)


async def test_publishes_on_time_and_once(db: Database) -> None:
    approve_one(db)
    publisher, clock = RecordingPublisher(), Clock(MONDAY_9 + timedelta(seconds=5))
    scheduler = build(db, clock, publisher)
    await scheduler.tick()
    await scheduler.tick()
    clock.value += timedelta(hours=1)
    await scheduler.tick()
    assert len(posts_to(publisher, "slack:CPUB")) == 1


async def test_preview_goes_to_editors_once_before_publishing(db: Database) -> None:
    approve_one(db)
    publisher, clock = RecordingPublisher(), Clock(MONDAY_9 - timedelta(hours=30))
    scheduler = build(db, clock, publisher)
    await scheduler.tick()
    assert posts_to(publisher, "slack:CEDIT") == []  # too early
    clock.value = MONDAY_9 - timedelta(hours=23)
    await scheduler.tick()
    await scheduler.tick()
    previews = posts_to(publisher, "slack:CEDIT")
    assert len(previews) >= 2  # the heading and the issue itself
    assert len(previews) == len(set(previews))
    assert posts_to(publisher, "slack:CPUB") == []
    heading = publisher.posts[0][2]["text"]
    assert "Preview of weekly — Issue 1" in heading


async def test_missed_within_grace_publishes_once_on_start(db: Database) -> None:
    """Reliability row 20, first half."""
    approve_one(db)
    publisher, clock = RecordingPublisher(), Clock(MONDAY_9 + timedelta(hours=5))
    await build(db, clock, publisher).tick()
    await build(db, clock, publisher).tick()  # a second restart
    assert len(posts_to(publisher, "slack:CPUB")) == 1


async def test_missed_outside_grace_alerts_once_and_waits(db: Database) -> None:
    """Reliability row 20: after the grace, skipped with one alert to the editors."""
    approve_one(db)
    publisher, clock = RecordingPublisher(), Clock(MONDAY_9 + timedelta(hours=7))
    await build(db, clock, publisher).tick()
    await build(db, clock, publisher).tick()
    assert posts_to(publisher, "slack:CPUB") == []
    alerts = [p for c, _, p in publisher.posts if c == "slack:CEDIT" and "missed" in p["text"]]
    assert len(alerts) == 1
    assert "linkletter digest publish" in alerts[0]["text"]


async def test_three_missed_weeks_make_one_digest(db: Database) -> None:
    """Reliability row 20: three missed weeks -> one digest with everything approved."""
    for name in ("w1", "w2", "w3"):
        approve_one(db, name)
    publisher = RecordingPublisher()
    clock = Clock(MONDAY_9 + timedelta(days=14, hours=1))  # two more Mondays went by
    await build(db, clock, publisher).tick()
    assert len(posts_to(publisher, "slack:CPUB")) == 1
    blocks_text = str(publisher.posts[-1][2])
    assert all(f"https://example.com/{n}" in blocks_text for n in ("w1", "w2", "w3"))


async def test_concurrent_schedulers_post_once(db: Database) -> None:
    """Reliability row 18: three schedulers firing together."""
    approve_one(db)
    publisher, clock = RecordingPublisher(), Clock(MONDAY_9 + timedelta(seconds=1))
    schedulers = [build(db, clock, publisher) for _ in range(3)]
    await asyncio.gather(*(s.tick() for s in schedulers))
    assert len(posts_to(publisher, "slack:CPUB")) == 1


async def test_apscheduler_fires_tick(db: Database) -> None:
    publisher, clock = RecordingPublisher(), Clock(MONDAY_9)
    scheduler = build(db, clock, publisher)
    scheduler.start()
    try:
        assert scheduler.running
        assert [t.digest for t in scheduler.times()] == ["weekly"]
    finally:
        scheduler.stop()
    assert not scheduler.running


async def test_preview_shows_why_suggestions_that_an_editor_can_accept(db: Database) -> None:
    """Issue 11: a suggested why appears in the editors' preview only, until accepted."""
    from bot.ports import CommandRequest
    from storage.repo import Repo

    approve_one(db)
    with db.session() as session:
        [item] = Repo(session).items()
        item.suggested_why = "It saves the team a week of work."
    publisher, clock = RecordingPublisher(), Clock(MONDAY_9 - timedelta(hours=2))
    await build(db, clock, publisher).tick()
    preview = [p.get("text", "") for c, _, p in publisher.posts if c == "slack:CEDIT"]
    assert any("Suggested why for item" in text for text in preview)
    blocks = str([p for c, _, p in publisher.posts if c == "slack:CEDIT" and "blocks" in p])
    assert "It saves the team a week of work." not in blocks  # not in the issue itself
    core = service(db, CONFIG)
    request = CommandRequest("why", f"{item.id} accept", EDITOR, "slack:C1", "slack")
    assert "why this matters saved; it is approved" in (await core.command(request)).text
    with db.session() as session:
        assert Repo(session).items()[0].why == "It saves the team a week of work."
