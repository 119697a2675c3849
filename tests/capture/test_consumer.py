"""The shared event consumer against a fake core and publisher (no platform involved)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.capture.consumer import RECEIPT_BACKLOG, Capture, EventConsumer
from bot.events import AddReaction, Author, ChatEvent, Effect, MessagePosted, Outcome, ReactionAdded
from bot.ports import MAX_BATCH, CommandReply, CommandRequest

AT = datetime(2026, 3, 1, tzinfo=UTC)
# Two Discord snowflakes that float() cannot tell apart (both round to 1234567890123456768.0).
EARLIER, LATER = "1234567890123456789", "1234567890123456790"


def post(message_id: str, channel: str = "chat:A") -> MessagePosted:
    return MessagePosted(
        event_id=f"{channel}/{message_id}",
        channel=channel,
        message_id=message_id,
        author=Author(id="chat:U1"),
        text="https://example.org/",
        at=AT,
    )


def reaction(message_id: str, channel: str = "chat:A") -> ReactionAdded:
    return ReactionAdded(
        event_id=f"{channel}/{message_id}/+1",
        channel=channel,
        message_id=message_id,
        user=Author(id="chat:U2"),
        emoji="+1",
        at=AT,
    )


@dataclass
class FakeCore:
    """Records batches and saves; ``fail`` makes the next batch raise it."""

    batches: list[list[ChatEvent]] = field(default_factory=list)
    checkpoints: dict[str, str] = field(default_factory=dict)
    saves: list[tuple[str, str]] = field(default_factory=list)
    fail: Exception | None = None
    receipt: bool = True
    stall: asyncio.Event | None = None  # batches wait for it (a database that hangs)

    def is_watched(self, channel: str) -> bool:
        return True

    def is_editor(self, user: Author) -> bool:
        return False

    async def handle(self, event: ChatEvent) -> Outcome:
        return (await self.handle_batch([event]))[0]

    async def handle_batch(self, events: Sequence[ChatEvent]) -> list[Outcome]:
        await asyncio.sleep(0)
        if self.stall is not None:
            await self.stall.wait()
        if self.fail is not None:
            error, self.fail = self.fail, None
            raise error
        self.batches.append(list(events))
        return [Outcome(effects=self._effects(event)) for event in events]

    def _effects(self, event: ChatEvent) -> tuple[Effect, ...]:
        if not self.receipt:
            return ()
        return (AddReaction(event.channel, event.message_id, "inbox"),)

    async def command(self, request: CommandRequest) -> CommandReply:
        return CommandReply(text="")

    async def checkpoint(self, channel: str) -> str | None:
        return self.checkpoints.get(channel)

    async def save_checkpoint(self, channel: str, position: str) -> None:
        self.saves.append((channel, position))
        self.checkpoints[channel] = position

    async def name_resolved(self, user: str, name: str) -> None:
        """Not used by the consumer."""


@dataclass
class FakePublisher:
    """Records receipts; the ones for ``hang_on`` wait for ``release``, ``fail_on`` raise."""

    platform: str = "chat"
    applied: list[Effect] = field(default_factory=list)
    hang_on: set[str] = field(default_factory=set)
    fail_on: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def post(self, channel: str, payload: dict[str, Any], key: str) -> str:
        raise AssertionError("the consumer never posts")

    async def find_posted(self, channel: str, key: str) -> str | None:
        raise AssertionError("the consumer never looks posts up")

    async def direct_message(self, user: str, payload: dict[str, Any]) -> None:
        raise AssertionError("the consumer never sends direct messages")

    async def apply(self, effect: Effect) -> None:
        if effect.message_id in self.hang_on:
            await self.release.wait()
        if effect.message_id in self.fail_on:
            raise RuntimeError("429 Too Many Requests")
        self.applied.append(effect)


@pytest.fixture
def core() -> FakeCore:
    return FakeCore()


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
async def consumer(core: FakeCore, publisher: FakePublisher) -> AsyncIterator[EventConsumer]:
    running = EventConsumer(core, publisher, position_key=int, name="test")
    running.start()
    yield running
    publisher.release.set()
    await running.stop(drain_timeout=1)


async def test_a_failed_batch_reaches_its_waiter_and_capture_goes_on(
    consumer: EventConsumer, core: FakeCore
) -> None:
    core.fail = RuntimeError("database down")
    with pytest.raises(RuntimeError, match="database down"):
        await consumer.process(Capture(post("1")))
    outcome = await consumer.process(Capture(post("2")))
    assert outcome is not None
    assert core.batches == [[post("2")]]


async def test_a_job_that_cannot_read_fails_its_waiter_not_the_batch(
    consumer: EventConsumer, core: FakeCore
) -> None:
    async def broken() -> Capture | None:
        raise LookupError("parent lookup failed")

    async def nothing() -> Capture | None:
        return None

    consumer.submit(Capture(post("1")))
    waits = [
        consumer.process(broken),
        consumer.process(nothing),
        consumer.process(Capture(post("2"))),
    ]
    failed, empty, stored = await asyncio.gather(*waits, return_exceptions=True)
    assert isinstance(failed, LookupError)
    assert empty is None
    assert isinstance(stored, Outcome)
    assert [event for batch in core.batches for event in batch] == [post("1"), post("2")]


async def test_jobs_are_read_on_the_consumer_in_submission_order(
    consumer: EventConsumer, core: FakeCore
) -> None:
    async def slow() -> Capture:
        await asyncio.sleep(0.05)  # e.g. a parent lookup: the next job must wait for it
        return Capture(post("1"))

    async def fast() -> Capture:
        return Capture(post("2"))

    consumer.submit(slow)
    consumer.submit(fast)
    await consumer.idle()
    assert [event for batch in core.batches for event in batch] == [post("1"), post("2")]


async def test_a_hanging_receipt_does_not_stop_the_next_batch(
    consumer: EventConsumer, core: FakeCore, publisher: FakePublisher
) -> None:
    publisher.hang_on.add("1")
    await consumer.process(Capture(post("1")))
    await asyncio.wait_for(consumer.process(Capture(post("2"))), 1)
    assert core.batches == [[post("1")], [post("2")]]
    assert publisher.applied == []  # both receipts wait behind the hanging one, in order
    publisher.release.set()
    await asyncio.wait_for(consumer.idle(), 1)
    assert [effect.message_id for effect in publisher.applied] == ["1", "2"]


async def test_receipts_the_platform_cannot_take_are_skipped_not_heaped_up(
    consumer: EventConsumer,
    core: FakeCore,
    publisher: FakePublisher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A burst faster than the platform takes receipts: every event is stored, at most
    RECEIPT_BACKLOG receipts wait (the memory stays bounded), and sending resumes later."""
    publisher.hang_on.add("0")
    burst = RECEIPT_BACKLOG + 300
    for n in range(burst):
        consumer.submit(Capture(post(str(n))))
    await asyncio.wait_for(consumer._queue.join(), 5)  # all handled; receipt "0" still hangs
    assert sum(map(len, core.batches)) == burst
    assert consumer._receipts.qsize() <= RECEIPT_BACKLOG
    assert consumer.receipts_skipped == burst - 1 - RECEIPT_BACKLOG  # "0" is being sent
    assert "new ones are skipped until it catches up" in caplog.text
    publisher.release.set()
    await asyncio.wait_for(consumer.idle(), 5)
    await consumer.process(Capture(post("later")))
    await asyncio.wait_for(consumer.idle(), 1)
    assert len(publisher.applied) == RECEIPT_BACKLOG + 2  # "0", the backlog, and "later"
    assert publisher.applied[-1].message_id == "later"
    assert "receipts resume" in caplog.text


async def test_a_failed_receipt_is_logged_and_the_others_are_sent(
    consumer: EventConsumer, publisher: FakePublisher, caplog: pytest.LogCaptureFixture
) -> None:
    publisher.fail_on.add("1")
    consumer.submit(Capture(post("1")))
    consumer.submit(Capture(post("2")))
    with caplog.at_level(logging.WARNING):
        await consumer.idle()
    assert [effect.message_id for effect in publisher.applied] == ["2"]
    assert "429 Too Many Requests" in caplog.text


async def test_stop_drains_what_was_acked_and_sends_its_receipts(
    core: FakeCore, publisher: FakePublisher
) -> None:
    consumer = EventConsumer(core, publisher, position_key=int)
    consumer.start()
    for message_id in ("1", "2", "3"):
        consumer.submit(Capture(post(message_id)))
    await consumer.stop(drain_timeout=5)
    assert [event.message_id for batch in core.batches for event in batch] == ["1", "2", "3"]
    assert [effect.message_id for effect in publisher.applied] == ["1", "2", "3"]


async def test_stop_gives_up_on_a_hanging_receipt_at_the_deadline(
    core: FakeCore, publisher: FakePublisher
) -> None:
    consumer = EventConsumer(core, publisher, position_key=int)
    consumer.start()
    publisher.hang_on.add("1")
    consumer.submit(Capture(post("1")))
    await asyncio.wait_for(consumer.stop(drain_timeout=0.2), 2)
    assert core.batches == [[post("1")]]
    assert publisher.applied == []


async def test_stop_past_the_deadline_releases_every_waiter(
    core: FakeCore, publisher: FakePublisher
) -> None:
    core.stall = asyncio.Event()
    consumer = EventConsumer(core, publisher, position_key=int)
    consumer.start()
    in_batch = asyncio.create_task(consumer.process(Capture(post("1"))))
    await asyncio.sleep(0.01)
    queued = asyncio.create_task(consumer.process(Capture(post("2"))))
    await asyncio.wait_for(consumer.stop(drain_timeout=0.1), 2)
    for waiter in (in_batch, queued):
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(waiter, 1)


async def test_a_batch_is_whatever_queued_up_at_most_max_batch(
    core: FakeCore, publisher: FakePublisher
) -> None:
    consumer = EventConsumer(core, publisher, position_key=int)
    for number in range(MAX_BATCH + 5):
        consumer.submit(Capture(post(str(number))))
    consumer.start()
    await consumer.stop()
    assert [len(batch) for batch in core.batches] == [MAX_BATCH, 5]


async def test_the_after_store_hook_sees_stored_events_and_cannot_stop_capture(
    core: FakeCore, publisher: FakePublisher
) -> None:
    seen: list[ChatEvent] = []

    def hook(events: Sequence[ChatEvent]) -> None:
        seen.extend(events)
        raise RuntimeError("hook bug")

    consumer = EventConsumer(core, publisher, position_key=int, after_store=hook)
    consumer.start()
    await consumer.process(Capture(post("1")))
    await consumer.process(Capture(post("2")))
    await consumer.stop()
    assert seen == [post("1"), post("2")]


async def test_checkpoints_order_by_the_position_key_not_float(
    core: FakeCore, publisher: FakePublisher
) -> None:
    """float() sees these two snowflakes as equal: it would keep EARLIER and never save LATER."""
    assert float(EARLIER) == float(LATER)
    consumer = EventConsumer(core, publisher, position_key=int)
    consumer.caught_up("chat:A")
    consumer.submit(Capture(post(EARLIER), place="chat:A"))
    consumer.submit(Capture(post(LATER), place="chat:A"))
    consumer.start()
    await consumer.stop()
    assert core.saves == [("chat:A", LATER)]


async def test_a_saved_checkpoint_moves_to_a_later_snowflake(
    consumer: EventConsumer, core: FakeCore
) -> None:
    core.checkpoints["chat:A"] = EARLIER
    consumer.caught_up("chat:A")
    await consumer.process(Capture(post(LATER), place="chat:A"))
    assert core.checkpoints["chat:A"] == LATER


async def test_checkpoints_only_move_forward(consumer: EventConsumer, core: FakeCore) -> None:
    core.checkpoints["chat:A"] = "500"
    consumer.caught_up("chat:A")
    await consumer.process(Capture(post("400"), place="chat:A"))
    await consumer.process(Capture(post("500"), place="chat:A"))
    await consumer.remember_position("chat:A", "450")
    assert core.saves == []
    assert core.checkpoints["chat:A"] == "500"
    await consumer.process(Capture(post("501"), place="chat:A"))
    assert core.saves == [("chat:A", "501")]


async def test_one_save_per_caught_up_place_per_batch(
    core: FakeCore, publisher: FakePublisher
) -> None:
    """Only posts move checkpoints (a reaction's id is an old message's), only in places whose
    backfill is done, and only live ones (a backfilled capture has no place)."""
    consumer = EventConsumer(core, publisher, position_key=int)
    consumer.caught_up("chat:A")
    consumer.caught_up("chat:T")
    live = [
        Capture(post("10"), place="chat:A"),
        Capture(post("12", channel="chat:A"), place="chat:T"),  # a thread under chat:A
        Capture(post("11"), place="chat:A"),
        Capture(post("13"), place="chat:A"),
        Capture(reaction("99"), place="chat:A"),
        Capture(post("20", channel="chat:B"), place="chat:B"),  # not caught up
        Capture(post("98")),  # backfilled
    ]
    for capture in live:
        consumer.submit(capture)
    consumer.start()
    await consumer.stop()
    assert len(core.batches) == 1
    assert sorted(core.saves) == [("chat:A", "13"), ("chat:T", "12")]


async def test_a_place_behind_keeps_its_checkpoint_until_caught_up(
    consumer: EventConsumer, core: FakeCore
) -> None:
    consumer.caught_up("chat:A")
    await consumer.process(Capture(post("10"), place="chat:A"))
    consumer.behind()  # a fresh session: everything may have missed messages
    await consumer.process(Capture(post("20"), place="chat:A"))
    assert core.checkpoints["chat:A"] == "10"
    core.checkpoints["chat:A"] = "30"  # the backfill read further meanwhile
    consumer.caught_up("chat:A")
    await consumer.process(Capture(post("25"), place="chat:A"))
    await consumer.process(Capture(post("40"), place="chat:A"))
    assert core.saves[-1] == ("chat:A", "40")
    assert ("chat:A", "25") not in core.saves
