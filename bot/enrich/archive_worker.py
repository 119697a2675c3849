"""The archive queue's worker: approved items get an archived copy, ``[archive] concurrency`` at
a time (Save Page Now limits how many captures one client may run at once).

The queue lives in the database (``storage.archive``), so a restart loses nothing; a lease keeps
two processes from asking for the same copy. Database work runs on worker threads, never while a
snapshot request is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.app.logs import log_event
from bot.config import Config
from bot.enrich.archive import ArchiveClient
from bot.enrich.model import FetchFailed, FetchRefused
from bot.enrich.worker import Claimed
from storage.archive import ArchiveRepo
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)
LEASE_MARGIN = timedelta(seconds=60)  # beyond one request's timeout, for the write after it


class ArchiveWorker:
    def __init__(
        self,
        config: Config,
        db: Database,
        client: ArchiveClient,
        now: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        self.settings = config.archive
        self.db = db
        self.client = client
        self.now = now
        self.owner = owner or f"archiver-{uuid.uuid4().hex[:8]}"
        self.lease = timedelta(seconds=self.settings.timeout_seconds) + LEASE_MARGIN

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Archive what is due until ``stop``; a full batch goes on at once, else it waits
        ``poll_seconds``. Errors (a database outage) are logged, never raised."""
        while not stop.is_set():
            try:
                claimed = await self.run_once()
            except Exception:
                log.exception("archiving failed; next try in %ss", self.settings.poll_seconds)
                claimed = 0
            if claimed < self.settings.concurrency:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.poll_seconds)

    async def run_once(self) -> int:
        """Ask for one batch of due copies and record each answer; how many were claimed."""
        now = self.now()
        rows = await self.db.write(
            lambda uow: uow.archive.claim(
                self.owner, now, now + self.lease, self.settings.concurrency,
                self.settings.max_attempts,
            )
        )  # fmt: skip
        claimed = [Claimed(*row) for row in rows]
        outcomes = await asyncio.gather(*(self._save(item) for item in claimed))
        answered = list(zip(claimed, outcomes, strict=True))
        await self.db.write(lambda uow: self._record(uow.archive, answered))
        return len(claimed)

    async def _save(self, item: Claimed) -> str | Exception:
        """The copy's URL, or why there is none (kept to record with the others)."""
        try:
            return await self.client.save(item.url)
        except (FetchFailed, FetchRefused) as error:
            return error
        except Exception as crash:  # one odd answer must not stop the worker
            log.exception("archiving %s crashed", item.url)
            return crash

    def _record(self, repo: ArchiveRepo, outcomes: list[tuple[Claimed, str | Exception]]) -> None:
        for item, outcome in outcomes:
            if isinstance(outcome, str):
                repo.done(item.item_id, outcome)
            elif isinstance(outcome, FetchFailed) and item.attempts < self.settings.max_attempts:
                wait = outcome.retry_after or self.settings.poll_seconds * 2 ** (item.attempts - 1)
                due = self.now() + timedelta(seconds=wait)
                repo.retry(item.item_id, f"will retry: {outcome}", due)
            else:
                self._fail(repo, item, outcome)

    def _fail(self, repo: ArchiveRepo, item: Claimed, error: Exception) -> None:
        if isinstance(error, FetchFailed):
            reason = f"gave up after {item.attempts} attempts: {error}"
        elif isinstance(error, FetchRefused):
            reason = str(error)
        else:
            reason = f"archive error: {type(error).__name__}: {error}"
        repo.failed(item.item_id, reason)
        log_event(
            log, "archive_failed", "item {item}: no archived copy of {url}: {reason}",
            item=item.item_id, url=item.url, reason=reason,
        )  # fmt: skip
