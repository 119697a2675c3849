"""``CurationService``: the ``Core`` the adapters call.

Database work is synchronous SQLModel, so each call runs in a worker thread (never on the event
loop) and one transaction: a crash mid-event leaves all or nothing of it. Calls are serialised
per process (SQLite has one writer anyway); several processes against PostgreSQL are kept
apart by the unique keys (processed event ids, one item per digest and article).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from bot.capture.ingest import Ingest
from bot.capture.text import clean_text, cleaned
from bot.config import Config, DigestConfig
from bot.curate.commands import CommandHandler, DigestOps
from bot.curate.rules import is_editor
from bot.curate.signin import SignIn
from bot.events import Author, ChatEvent, Outcome
from bot.platforms import platform_of
from bot.ports import CommandReply, CommandRequest
from storage.db import OUTAGE_PATIENCE, Database
from storage.errors import StorageError
from storage.repo import Repo
from storage.unit import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")


class CurationService:
    """Implements ``bot.ports.Core`` on a ``Database``."""

    def __init__(
        self,
        config: Config,
        db: Database,
        ops: DigestOps | None = None,
        outage_patience: float = OUTAGE_PATIENCE,
    ) -> None:
        self.config = config
        self.db = db
        self.outage_patience = outage_patience
        self.commands = CommandHandler(self, ops, SignIn(config, db))
        self.listeners: list[Callable[[ChatEvent, Outcome], None]] = []
        self._lock = asyncio.Lock()

    # --- Core -------------------------------------------------------------------------------
    def is_watched(self, channel: str) -> bool:
        return bool(self.config.digests_for(channel))

    def is_editor(self, user: Author, digest: DigestConfig | None = None) -> bool:
        digests = [digest] if digest else self.config.digests
        return any(is_editor(d, user.id, user.roles) for d in digests)

    async def handle(self, event: ChatEvent) -> Outcome:
        outcome = await self.write(lambda uow: self.apply(uow, event))
        for listener in self.listeners:  # metrics, waking the enrichment worker
            listener(event, outcome)
        return outcome

    async def command(self, request: CommandRequest) -> CommandReply:
        return await self.commands.handle(cleaned(request))

    async def checkpoint(self, channel: str) -> str | None:
        return await self.run(lambda repo: repo.checkpoint(channel))

    async def save_checkpoint(self, channel: str, position: str) -> None:
        """Positions compare by the channel's platform's ``position_key`` (else as text)."""
        found = platform_of(channel)
        later = found.position_key if found is not None else str
        await self.run(lambda repo: repo.save_checkpoint(channel, position, later))

    async def name_resolved(self, user: str, name: str) -> None:
        await self.run(lambda repo: repo.save_person_name(user, clean_text(name)))

    # --- plumbing ---------------------------------------------------------------------------
    async def run(self, work: Callable[[Repo], T]) -> T:
        """``write`` for work that needs only the items' queries (the commands, the CLI)."""
        return await self.write(lambda uow: work(uow.items))

    async def write(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in one unit of work, one at a time per process, waiting out a database
        outage for up to ``outage_patience`` seconds (``Database.write``): events arriving
        during a short outage are applied when it ends; later events wait in the adapters'
        queues behind it."""
        async with self._lock:
            return await self.db.write(work, patience=self.outage_patience)

    def apply(
        self, uow: UnitOfWork, event: ChatEvent, digests: list[DigestConfig] | None = None
    ) -> Outcome:
        """Apply one event unless its id was seen before (the durable dedup); ``digests``
        forces capture (the "Add to digest" shortcut). Its text is cleaned on the way in."""
        event = cleaned(event)
        ingest = Ingest(self.config, uow)
        ingest.load([event], digests)
        outcome = self._record(ingest, event, digests)
        ingest.finish()
        return ingest.settled(outcome)

    async def handle_batch(self, events: Sequence[ChatEvent]) -> list[Outcome]:
        """Apply many events in one transaction (bursts, imports, backfills)."""
        outcomes = await self.write(lambda uow: self.apply_batch(uow, events))
        for event, outcome in zip(events, outcomes, strict=True):
            for listener in self.listeners:
                listener(event, outcome)
        return outcomes

    def apply_batch(self, uow: UnitOfWork, events: Sequence[ChatEvent]) -> list[Outcome]:
        """Apply many events in one transaction; every touched item is re-derived once.

        Optimistic: no savepoints. If any event fails, the batch is rolled back to its start
        and replayed with a savepoint per event, so the bad one is logged and skipped.
        """
        events = [cleaned(event) for event in events]
        try:
            with uow.savepoint():
                ingest = Ingest(self.config, uow)
                ingest.load(events)
                outcomes = [self._record(ingest, event) for event in events]
                ingest.finish()
                return [ingest.settled(outcome) for outcome in outcomes]
        except StorageError:
            raise  # a race or an outage: the whole batch is retried or parked
        except Exception:
            log.info("a batch of %d events had a bad one; isolating it", len(events))
        return [self._isolated(uow, event) for event in events]

    @staticmethod
    def _record(
        ingest: Ingest, event: ChatEvent, digests: list[DigestConfig] | None = None
    ) -> Outcome:
        """Store one event's facts (re-derivation waits for ``finish``)."""
        if not ingest.mark_processed(event.event_id):
            return Outcome(duplicate=True)
        ingest.effects, so_far, ingest.touched = [], ingest.touched, set()
        ingest.record(event, digests)
        outcome = Outcome(effects=tuple(ingest.effects), item_ids=tuple(sorted(ingest.touched)))
        ingest.touched |= so_far
        return outcome

    def _isolated(self, uow: UnitOfWork, event: ChatEvent) -> Outcome:
        try:
            with uow.savepoint():
                return self.apply(uow, event)
        except StorageError:
            raise
        except Exception:
            log.exception("event %s could not be applied; skipped", event.event_id)
            return Outcome(duplicate=True)

    def handle_sync(self, event: ChatEvent) -> Outcome:
        """The same as ``handle`` for scripts and imports that run outside an event loop."""
        return self.db.write_now(lambda uow: self.apply(uow, event))
