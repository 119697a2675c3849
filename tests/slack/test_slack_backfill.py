"""Backfill from the fake's history: ordering, threads, reactions, pacing, resumability."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from adapters.slack.backfill import Backfiller
from adapters.slack.publisher import SlackPublisher
from adapters.slack.settings import make_client
from adapters.slack.translate import ts_key, ts_to_datetime
from bot.capture.consumer import Capture, EventConsumer
from bot.events import Author, ChatEvent, MessagePosted, Outcome, ReactionAdded
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import WATCHED, RecordingCore, load_fixture, settings_for

CHANNEL = f"slack:{WATCHED}"


Factory = Callable[..., Backfiller]


@pytest.fixture
async def make_backfiller(fake: FakeSlack) -> AsyncIterator[Factory]:
    """Backfillers on the fake, each with a running consumer (stopped at the end)."""
    consumers: list[EventConsumer] = []

    def make(core: RecordingCore, **options: Any) -> Backfiller:
        client = make_client(settings_for(fake, socket_mode=False))
        publisher = SlackPublisher(client, min_interval=0.0)
        consumer = EventConsumer(core, publisher, position_key=ts_key)
        consumer.start()
        consumers.append(consumer)
        return Backfiller(client, core, consumer, **options)

    yield make
    for consumer in consumers:
        await consumer.stop()


def seed_thread_week(fake: FakeSlack) -> list[str]:
    """Zulip's exported thread with a broadcast reply, re-stamped into the fake's channel."""
    stamps = iter(fake.next_ts() for _ in range(10))
    parent, reply, broadcast = load_fixture("thread_with_broadcast_reply.json")
    parent_ts = next(stamps)
    fake.add_message(
        WATCHED,
        {
            **parent,
            "ts": parent_ts,
            "thread_ts": parent_ts,
            "text": "<https://example.org/paper>",
            "reactions": [{"name": "+1::skin-tone-2", "users": ["U7"], "count": 1}],
        },
    )
    reply_ts, broadcast_ts = next(stamps), next(stamps)
    fake.add_message(WATCHED, {**reply, "ts": reply_ts, "thread_ts": parent_ts})
    fake.add_message(
        WATCHED,
        {
            **broadcast,
            "ts": broadcast_ts,
            "thread_ts": parent_ts,
            "root": {**broadcast["root"], "ts": parent_ts},
        },
    )
    fake.channels[WATCHED].messages[0] |= {"reply_count": 2, "latest_reply": broadcast_ts}
    later = fake.add_message(
        WATCHED, load_fixture("message_with_links.json") | {"ts": next(stamps)}
    )
    fake.add_message(
        WATCHED,
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U9",
            "text": "<@U9> has joined the channel",
            "ts": next(stamps),
        },
    )
    return [parent_ts, reply_ts, broadcast_ts, later["ts"]]


async def test_missed_messages_threads_and_reactions_are_replayed_in_order(
    fake: FakeSlack,
    core: RecordingCore,
    make_backfiller: Factory,
) -> None:
    """reliability row 9: a gap is backfilled from the checkpoint, nothing missing or doubled."""
    expected = seed_thread_week(fake)
    backfiller = make_backfiller(core, min_interval=0.0)
    assert await backfiller.channel(CHANNEL) == 4  # parent, broadcast, link message, join
    posted = [e for e in core.events if isinstance(e, MessagePosted)]
    assert sorted(e.message_id for e in posted) == expected
    assert posted[0].message_id == expected[0]
    [vote] = [e for e in core.events if isinstance(e, ReactionAdded)]
    assert (vote.emoji, vote.user.id, vote.message_id) == ("+1", "slack:U7", expected[0])
    assert core.checkpoints[CHANNEL] == max(m["ts"] for m in fake.channels[WATCHED].messages)
    assert len(core.events) == len({e.event_id for e in core.deliveries})

    fresh = fake.add_message(WATCHED, {"user": "U2", "text": "new", "ts": fake.next_ts()})
    before = len(core.events)
    assert await backfiller.channel(CHANNEL) == 1
    assert [e.message_id for e in core.events[before:]] == [fresh["ts"]]


async def test_replaying_the_same_history_changes_nothing(
    fake: FakeSlack,
    core: RecordingCore,
    make_backfiller: Factory,
) -> None:
    """reliability row 9: replays are idempotent (deterministic event ids)."""
    seed_thread_week(fake)
    await make_backfiller(core, min_interval=0.0).channel(CHANNEL)
    first, deliveries = list(core.events), len(core.deliveries)
    core.checkpoints.clear()
    await make_backfiller(core, min_interval=0.0).channel(CHANNEL)
    assert core.events == first
    assert len(core.deliveries) == 2 * deliveries


async def test_history_calls_are_paced(
    fake: FakeSlack,
    core: RecordingCore,
    make_backfiller: Factory,
) -> None:
    seed_thread_week(fake)
    await make_backfiller(core, min_interval=0.25).channel(CHANNEL)
    calls = [c.at for c in fake.calls if c.method.startswith("conversations.")]
    assert len(calls) == 2  # one history page, one thread
    # measured at the server, so the first call's connection set-up may eat a little of the gap
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(calls))


async def test_first_run_reads_only_the_lookback(
    fake: FakeSlack,
    core: RecordingCore,
    make_backfiller: Factory,
) -> None:
    fake.add_message(WATCHED, {"user": "U2", "text": "ancient", "ts": "1000000000.000001"})
    recent = fake.add_message(WATCHED, {"user": "U2", "text": "recent", "ts": fake.next_ts()})
    await make_backfiller(core, min_interval=0.0, first_lookback=timedelta(days=1)).channel(CHANNEL)
    assert [e.message_id for e in core.events] == [recent["ts"]]


class FailingCore(RecordingCore):
    """Crashes on the n-th new event, like a process killed mid-backfill."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at

    async def handle(self, event: ChatEvent) -> Outcome:
        if len(self.events) + 1 == self.fail_at:
            self.fail_at = 0
            raise RuntimeError("killed")
        return await super().handle(event)


async def test_backfill_resumes_from_the_last_saved_page(
    fake: FakeSlack,
    make_backfiller: Factory,
) -> None:
    stamps = [fake.next_ts() for _ in range(5)]
    for ts in stamps:
        fake.add_message(WATCHED, {"user": "U2", "text": f"msg {ts}", "ts": ts})
    core = FailingCore(fail_at=4)
    backfiller = make_backfiller(core, min_interval=0.0, page_size=2)
    with pytest.raises(RuntimeError):
        await backfiller.channel(CHANNEL)
    assert core.checkpoints[CHANNEL] == stamps[1]  # pages [0,1] done, [2,3] not
    await backfiller.run([CHANNEL])
    assert [e.message_id for e in core.events] == stamps
    assert core.checkpoints[CHANNEL] == stamps[-1]


async def test_live_posts_move_the_checkpoint_only_after_a_successful_backfill(
    fake: FakeSlack,
    make_backfiller: Factory,
) -> None:
    """A live post after a failed backfill would otherwise skip what the backfill missed."""
    stamps = [fake.next_ts() for _ in range(5)]
    for ts in stamps:
        fake.add_message(WATCHED, {"user": "U2", "text": f"msg {ts}", "ts": ts})
    core = FailingCore(fail_at=4)
    backfiller = make_backfiller(core, min_interval=0.0, page_size=2)
    await backfiller.run([CHANNEL])  # fails on the 4th message: logged, not raised
    await backfiller.consumer.process(Capture(live_post(fake.next_ts()), place=CHANNEL))
    assert core.checkpoints[CHANNEL] == stamps[1]
    await backfiller.run([CHANNEL])
    assert core.checkpoints[CHANNEL] == stamps[-1]
    later = fake.next_ts()
    await backfiller.consumer.process(Capture(live_post(later), place=CHANNEL))
    assert core.checkpoints[CHANNEL] == later


def live_post(ts: str) -> MessagePosted:
    return MessagePosted(
        event_id=f"live-{ts}",
        channel=CHANNEL,
        message_id=ts,
        author=Author(id="slack:U2"),
        text="live",
        at=ts_to_datetime(ts),
    )
