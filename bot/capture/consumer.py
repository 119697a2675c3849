"""The one event consumer between every chat adapter and the core.

An adapter's listeners never wait for the core (a webhook wants its answer within seconds, a
gateway wants its dispatches read): they :meth:`EventConsumer.submit` and return. One task takes
the work in order and hands whatever queued up meanwhile (at most ``MAX_BATCH``) to
``core.handle_batch``: one transaction per burst instead of one per event. Then:

- receipts (``Outcome.effects``) go to a second task, so a receipt waiting out a rate limit,
  or failing, never holds up capture; a failed receipt is logged (the capture happened);
- an ``after_store`` hook sees the stored events (e.g. to look up their authors' names);
- each caught-up place's checkpoint moves forward to the batch's latest live post: one save
  per place and batch, compared with the adapter's ``position_key`` (message ids are not
  floats: 64-bit ids above 2**53 collide as floats);
- a waiter (:meth:`EventConsumer.process`, used by backfills) gets its event's ``Outcome``,
  or the exception when its batch failed, so it never saves a checkpoint past a lost event.

Work is a :class:`Capture` (an event already read) or a *job*: a coroutine function run on the
consumer, in order, that reads its event (it may call the platform's API, e.g. to find a
thread's parent) and returns a ``Capture`` or None (nothing to capture).

Usage from an adapter::

    consumer = EventConsumer(core, publisher, position_key=int)
    consumer.start()
    consumer.submit(Capture(event, place=event.channel))   # live: returns at once
    outcome = await consumer.process(Capture(event))       # backfill: waits, may raise
    consumer.behind([channel]); ...; consumer.caught_up(channel)
    await consumer.stop(drain_timeout=10)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.events import ChatEvent, Effect, MessagePosted, Outcome
from bot.ports import MAX_BATCH, ChatPublisher, Core

log = logging.getLogger(__name__)
# Receipts waiting to be sent, at most: a burst faster than the platform takes receipts (its
# rate limits) would otherwise grow the queue, and the memory, without end. Past it a new
# receipt is skipped (a receipt is cosmetic, and one sent minutes late tells nobody anything).
RECEIPT_BACKLOG = 1_000


@dataclass(frozen=True, slots=True)
class Capture:
    """An event for the core. ``place``: the channel or thread it came from as the backfill
    reads it, whose checkpoint a live post moves; None for backfilled events (the backfill
    saves its own checkpoints)."""

    event: ChatEvent
    place: str | None = None


Job = Callable[[], Awaitable[Capture | None]]
Work = Capture | Job
PositionKey = Callable[[str], Any]  # a sort key for a platform's positions: later sorts higher
AfterStore = Callable[[Sequence[ChatEvent]], None]


@dataclass(slots=True)
class _Entry:
    work: Work
    done: asyncio.Future[Outcome | None] | None


class EventConsumer:
    """Feeds queued work to ``core.handle_batch`` in order; see the module docstring."""

    def __init__(
        self,
        core: Core,
        publisher: ChatPublisher,
        *,
        position_key: PositionKey,
        after_store: AfterStore | None = None,
        name: str = "events",
    ) -> None:
        self.core = core
        self.publisher = publisher
        self.position_key = position_key
        self.after_store = after_store
        self.name = name
        self._live: set[str] = set()  # places whose history is caught up
        self._positions: dict[str, Any] = {}  # place -> key of its saved checkpoint
        self._position_lock = asyncio.Lock()
        self._queue: asyncio.Queue[_Entry | None] = asyncio.Queue()
        self._receipts: asyncio.Queue[tuple[str, Effect] | None] = asyncio.Queue()
        self.receipts_skipped = 0  # since the backlog last filled up
        self._task: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"{self.name}-consumer")
            self._sender = asyncio.create_task(self._send_receipts(), name=f"{self.name}-receipts")

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Handle what is already queued (it was acked: the platform won't send it again) and
        send its receipts, within ``drain_timeout`` seconds in all; then stop."""
        if self._task is None or self._sender is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_timeout
        await self._queue.put(None)
        if not await _finish(self._task, drain_timeout):
            log.warning(
                "%s queue not drained in %ss; backfill recovers it", self.name, drain_timeout
            )
        await self._receipts.put(None)
        if not await _finish(self._sender, deadline - loop.time()):
            log.warning("%s receipts not all sent in %ss", self.name, drain_timeout)
        self._task = self._sender = None
        self._abandon_waiters()

    async def idle(self) -> None:
        """Wait until everything queued so far is handled and its receipts are sent."""
        await self._queue.join()
        await self._receipts.join()

    # -- input -------------------------------------------------------------------------------
    def submit(self, work: Work) -> None:
        """Enqueue live work and return at once."""
        self._queue.put_nowait(_Entry(work, None))

    async def process(self, work: Work) -> Outcome | None:
        """Enqueue work and wait until the core has handled it: its ``Outcome`` (None when a
        job read nothing); raises what made its read or its batch fail."""
        done: asyncio.Future[Outcome | None] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Entry(work, done))
        return await done

    # -- checkpoints -------------------------------------------------------------------------
    def behind(self, places: Iterable[str] | None = None) -> None:
        """These places (None: all) may have missed events: their live posts stop moving their
        checkpoints (which would skip the gap) until :meth:`caught_up`."""
        if places is None:
            self._live.clear()
        else:
            self._live.difference_update(places)

    def caught_up(self, place: str) -> None:
        """The place's backfill is done: from now on its live posts move its checkpoint."""
        self._live.add(place)
        self._positions.pop(place, None)  # the backfill may have saved it meanwhile

    async def remember_position(self, place: str, position: str) -> None:
        """Save ``position`` as the place's checkpoint unless an equal or later one is saved."""
        async with self._position_lock:
            if place not in self._positions:
                saved = await self.core.checkpoint(place)
                self._positions[place] = None if saved is None else self.position_key(saved)
            key = self.position_key(position)
            known = self._positions[place]
            if known is None or key > known:
                await self.core.save_checkpoint(place, position)
                self._positions[place] = key

    # -- the consumer task -------------------------------------------------------------------
    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                self._queue.task_done()
                return
            entries = [first]
            while len(entries) < MAX_BATCH and not self._queue.empty():
                if (queued := self._queue.get_nowait()) is None:
                    self._queue.task_done()
                    stopping = True
                    break
                entries.append(queued)
            try:
                await self._handle([(entry, await self._read(entry)) for entry in entries])
            except Exception as error:  # a bug here must not stop capture for good
                log.exception("%s: a batch of %d failed", self.name, len(entries))
                for entry in entries:
                    _settle(entry, error)
            except asyncio.CancelledError:  # stopped past the drain deadline
                for entry in entries:
                    _abandon(entry)
                raise
            finally:
                for _ in entries:
                    self._queue.task_done()

    async def _read(self, entry: _Entry) -> Capture | None:
        """Run a job (in order, on this task); a failed read skips the event, not the batch."""
        if isinstance(entry.work, Capture):
            return entry.work
        try:
            return await entry.work()
        except Exception as error:
            log.exception("%s: an event could not be read; skipped", self.name)
            _settle(entry, error)
            return None

    async def _handle(self, reads: list[tuple[_Entry, Capture | None]]) -> None:
        """Store the captures of one batch; settle every waiter (None: nothing was read)."""
        stored: list[tuple[_Entry, Capture]] = []
        for entry, capture in reads:
            if capture is None:
                _settle(entry, None)
            else:
                stored.append((entry, capture))
        if not stored:
            return
        events = [capture.event for _entry, capture in stored]
        try:
            outcomes = await self.core.handle_batch(events)
        except Exception as error:  # the database stayed down: these must not stop the app
            log.exception(
                "%s: %d events failed, from %s", self.name, len(events), events[0].event_id
            )
            for entry, _capture in stored:
                _settle(entry, error)
            return
        for (entry, capture), outcome in zip(stored, outcomes, strict=True):
            for effect in outcome.effects:
                self._queue_receipt(capture.event.event_id, effect)
            _settle(entry, outcome)
        self._after_store(events)
        await self._advance_checkpoints([capture for _entry, capture in stored])

    def _after_store(self, events: Sequence[ChatEvent]) -> None:
        if self.after_store is None:
            return
        try:
            self.after_store(events)
        except Exception:  # a hook's failure must not stop capture
            log.exception("%s: after-store hook failed", self.name)

    async def _advance_checkpoints(self, captures: list[Capture]) -> None:
        """Move each caught-up place's checkpoint to the batch's latest live post."""
        latest: dict[str, str] = {}
        for capture in captures:
            place, event = capture.place, capture.event
            if place in self._live and isinstance(event, MessagePosted):
                seen = latest.get(place, event.message_id)
                latest[place] = max(seen, event.message_id, key=self.position_key)
        for place, position in latest.items():
            try:
                await self.remember_position(place, position)
            except Exception:  # the events are stored; the next batch or backfill moves it
                log.exception("%s: checkpoint of %s not saved", self.name, place)

    def _queue_receipt(self, event_id: str, effect: Effect) -> None:
        """Queue a receipt, unless :data:`RECEIPT_BACKLOG` are already waiting."""
        waiting = self._receipts.qsize()
        if waiting >= RECEIPT_BACKLOG:
            if not self.receipts_skipped:
                log.warning(
                    "%s: %d receipts are waiting for the platform; new ones are skipped until "
                    "it catches up (the events themselves are stored)", self.name, waiting,
                )  # fmt: skip
            self.receipts_skipped += 1
            return
        if self.receipts_skipped and waiting < RECEIPT_BACKLOG // 2:
            log.warning("%s: receipts resume; %d were skipped", self.name, self.receipts_skipped)
            self.receipts_skipped = 0
        self._receipts.put_nowait((event_id, effect))

    async def _send_receipts(self) -> None:
        while (receipt := await self._receipts.get()) is not None:
            event_id, effect = receipt
            try:
                await self.publisher.apply(effect)
            except Exception as exc:  # a missing receipt is cosmetic; the capture happened
                log.warning("receipt %r for event %s not sent: %s", effect, event_id, exc)
            finally:
                self._receipts.task_done()
        self._receipts.task_done()

    def _abandon_waiters(self) -> None:
        """What is left after a stop (past its deadline, or queued after it) is not handled:
        its waiters must not wait forever."""
        while not self._queue.empty():
            entry = self._queue.get_nowait()
            self._queue.task_done()
            if entry is not None:
                _abandon(entry)


def _settle(entry: _Entry, result: Outcome | BaseException | None) -> None:
    """Tell a waiter how its work went, unless it stopped waiting."""
    if entry.done is None or entry.done.done():
        return
    if isinstance(result, BaseException):
        entry.done.set_exception(result)
    else:
        entry.done.set_result(result)


def _abandon(entry: _Entry) -> None:
    """Its waiter must not wait forever for work that will not be done."""
    if entry.done is not None and not entry.done.done():
        entry.done.cancel()


async def _finish(task: asyncio.Task[None], seconds: float) -> bool:
    """Wait up to ``seconds`` for ``task`` to end by itself, else cancel it; did it end?"""
    try:
        await asyncio.wait_for(asyncio.shield(task), max(seconds, 0.0))
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False
    return True
