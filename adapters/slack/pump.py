"""The single consumer between Slack's listeners (which only ack and enqueue) and the core.

Listeners must answer Slack within 3 s, so they never wait for the core: they ``submit`` and
return. One task takes events in order and hands whatever has queued up meanwhile to
``core.handle_batch`` (one transaction for a burst instead of one per event); the receipts go to
a second task, so a receipt waiting out Slack's rate limit never holds up capture. The
backfill uses ``process`` to wait for each of its events, so it can save a checkpoint only after
the events before it were really handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from adapters.slack.names import UserNames
from bot.events import ChatEvent, Effect, MessagePosted, Outcome
from bot.ports import MAX_BATCH, ChatPublisher, Core

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Job:
    event: ChatEvent
    done: asyncio.Future[Outcome] | None


class EventPump:
    """Feeds queued events to ``core.handle_batch`` in order and applies the resulting effects.

    After a live message in a channel whose backfill is finished (``live_checkpoints``), the
    channel's checkpoint moves forward to that message, so the next backfill starts there.
    """

    def __init__(
        self, core: Core, publisher: ChatPublisher, names: UserNames | None = None
    ) -> None:
        self.core = core
        self.publisher = publisher
        self.names = names
        self.live_checkpoints: set[str] = set()
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._receipts: asyncio.Queue[tuple[ChatEvent, Effect] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._positions: dict[str, float] = {}

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="slack-event-pump")
            self._sender = asyncio.create_task(self._send_receipts(), name="slack-receipts")

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Handle what is already queued (it was acked: Slack won't send it again) and send
        its receipts, then stop."""
        if self._task is None or self._sender is None:
            return
        deadline = asyncio.get_running_loop().time() + drain_timeout
        await self._queue.put(None)
        if not await _finish(self._task, drain_timeout):
            log.warning(
                "Slack event queue not drained in %ss; backfill will recover messages",
                drain_timeout,
            )
        await self._receipts.put(None)
        if not await _finish(self._sender, deadline - asyncio.get_running_loop().time()):
            log.warning("Slack receipts not all sent in %ss", drain_timeout)
        self._task = self._sender = None

    def submit(self, event: ChatEvent) -> None:
        """Enqueue a live event and return at once."""
        self._queue.put_nowait(_Job(event, None))

    async def process(self, event: ChatEvent) -> Outcome:
        """Enqueue an event and wait until the core has handled it."""
        done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(event, done))
        return await done

    async def remember_position(self, channel: str, ts: str) -> None:
        """Save ``ts`` as the channel's checkpoint unless an equal or later one is saved."""
        if channel not in self._positions:
            saved = await self.core.checkpoint(channel)
            self._positions[channel] = float(saved) if saved else 0.0
        if float(ts) > self._positions[channel]:
            await self.core.save_checkpoint(channel, ts)
            self._positions[channel] = float(ts)

    async def _run(self) -> None:
        stopping = False
        while not stopping and (job := await self._queue.get()) is not None:
            jobs = [job]
            while len(jobs) < MAX_BATCH and not self._queue.empty():
                if (queued := self._queue.get_nowait()) is None:
                    stopping = True
                    break
                jobs.append(queued)
            await self._handle_jobs(jobs)

    async def _handle_jobs(self, jobs: list[_Job]) -> None:
        try:
            outcomes = await self.core.handle_batch([job.event for job in jobs])
        except Exception as error:  # the database stayed down: these events must not stop the app
            log.exception("%d Slack events failed, from %s", len(jobs), jobs[0].event.event_id)
            for job in jobs:
                self._settle(job, error)
            return
        for job, outcome in zip(jobs, outcomes, strict=True):
            for effect in outcome.effects:
                self._receipts.put_nowait((job.event, effect))
            self._settle(job, outcome)
        if self.names is not None:  # after storing: a resolved name fixes these shares too
            self.names.notice(job.event for job in jobs)
        await self._advance_checkpoints([job.event for job in jobs if job.done is None])

    @staticmethod
    def _settle(job: _Job, result: Outcome | BaseException) -> None:
        """Tell a waiter (the backfill) how its event went, unless it stopped waiting."""
        if job.done is None or job.done.done():
            return
        if isinstance(result, BaseException):
            job.done.set_exception(result)
        else:
            job.done.set_result(result)

    async def _advance_checkpoints(self, live: list[ChatEvent]) -> None:
        """Move each caught-up channel's checkpoint to the batch's latest live post: one save
        per channel and batch, not one per message."""
        latest: dict[str, str] = {}
        for event in live:
            if isinstance(event, MessagePosted) and event.channel in self.live_checkpoints:
                seen = latest.get(event.channel, event.message_id)
                latest[event.channel] = max(seen, event.message_id, key=float)
        for channel, ts in latest.items():
            try:
                await self.remember_position(channel, ts)
            except Exception:  # the events are stored; the next batch or backfill moves it
                log.exception("checkpoint of %s not saved", channel)

    async def _send_receipts(self) -> None:
        while (receipt := await self._receipts.get()) is not None:
            event, effect = receipt
            try:
                await self.publisher.apply(effect)
            except Exception as exc:  # a missing receipt is cosmetic; the capture happened
                log.warning(
                    "receipt %r for Slack event %s not sent: %s", effect, event.event_id, exc
                )


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
