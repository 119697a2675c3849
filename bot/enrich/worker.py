"""The enrichment queue: items waiting for page metadata live in the database, so nothing is
lost on restart, and a lease (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL) keeps several
processes from fetching the same item.

A short link (bit.ly, t.co…) that lands on an article already in the digest is merged into it:
its shares, votes and decisions move over, so one article stays one item.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from bot.app.logs import log_event
from bot.app.metrics import EnrichmentFailure, observe_enrichment
from bot.capture.canonical import NotHttpUrl, canonical_url
from bot.capture.ingest import recompute_items
from bot.capture.text import cleaned
from bot.config import Config
from bot.enrich.model import FetchFailed, FetchRefused, PageMetadata
from storage.db import Database
from storage.models import EnrichStatus, Item, ItemStatus, SummarySource, utcnow
from storage.repo import Repo

log = logging.getLogger(__name__)
T = TypeVar("T")
MAIN_TEXT_LIMIT = 20_000
TITLE_LIMIT = 300
LATENCY_SAMPLES = 10_000  # enough for the percentiles of bench/enrichment.py


class PageEnricher(Protocol):
    async def enrich(self, url: str) -> PageMetadata: ...


@dataclass(frozen=True, slots=True)
class Claimed:
    item_id: int
    url: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """A fetched page's result, written with the others that finished in the same tick."""

    item_id: int
    started: float  # event-loop time the fetch began
    page: PageMetadata | None = None  # fetched: store it
    failure: EnrichmentFailure | None = None
    write: Callable[[Repo], None] | None = None  # refused, failing or crashed: the queue update


class EnrichmentWorker:
    def __init__(
        self,
        config: Config,
        db: Database,
        enricher: PageEnricher,
        batch: int = 16,
        lease: timedelta = timedelta(minutes=5),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        owner: str | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.enricher = enricher
        self.batch = batch
        self.lease = lease
        self.now = now
        self.owner = owner or f"enricher-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self.enriched = 0
        # Seconds per enriched page, the latest only: the worker lives as long as the process
        # (the lifetime distribution is the metrics histogram).
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.failures = 0
        self.retries = 0

    async def _tx(self, work: Callable[[Repo], T]) -> T:
        return await self.db.write(lambda uow: work(uow.items))

    def wake(self) -> None:
        """New items are waiting: stop idling."""
        self._wake.set()

    async def run_once(self) -> int:
        """Enrich one batch of due items; returns how many were claimed."""
        claimed = await self._settle([], self.batch)
        await self._settle(list(await asyncio.gather(*map(self._enrich, claimed))), 0)
        return len(claimed)

    async def _settle(self, finished: list[Outcome], slots: int) -> list[Claimed]:
        """Write the ``finished`` pages and claim up to ``slots`` more, in one transaction.

        Pages finish in bursts (a tick of the loop sees several), and a transaction costs more
        than the rows in it. Should the shared one fail, each page is written alone, so one bad
        page costs only its own result (its lease lets it be retried later).
        """
        if not finished and not slots:
            return []
        now = self.now()

        def work(repo: Repo) -> list[Claimed]:
            self._write(repo, finished)
            if not slots:
                return []
            rows = repo.claim_for_enrichment(self.owner, now, now + self.lease, slots)
            claimed = [Claimed(*row) for row in rows]
            return [page for page in claimed if self._within(repo, page)]

        try:
            claimed = await self._tx(work)
        except Exception:
            if not finished:
                raise
            log.exception("storing %d enriched pages together failed; one by one", len(finished))
            for outcome in finished:
                await self._settle_alone(outcome)
            return await self._settle([], slots)
        self._observe(finished)
        return claimed

    async def _settle_alone(self, outcome: Outcome) -> None:
        try:
            await self._tx(lambda repo: self._write(repo, [outcome]))
        except Exception:
            log.exception("storing item %d failed; retried when its lease ends", outcome.item_id)
        else:
            self._observe([outcome])

    def _within(self, repo: Repo, claimed: Claimed) -> bool:
        """The claim counted the attempt as it starts, so a page whose attempts never end (the
        process dies in it, the lease runs out) is not claimed forever. False: it is out of
        attempts, and is marked failed."""
        if claimed.attempts <= self.config.fetch.max_attempts:
            return True
        item = repo.item(claimed.item_id)
        if item is None:
            return False
        item.enrich_status = EnrichStatus.failed
        item.enrich_error = (
            f"gave up after {item.enrich_attempts - 1} attempts that never finished "
            "(the process stopped during each)"
        )
        item.enrich_lease_owner = item.enrich_lease_until = None
        self.failures += 1
        return False

    async def run_forever(
        self, stop: asyncio.Event, idle_seconds: float = 5.0, until_idle: bool = False
    ) -> None:
        """Keep up to ``batch`` pages in flight: a finished page frees a slot that is refilled
        at once, so one slow page never holds up the others claimed with it. On ``stop`` the
        pages in flight are finished (their leases would keep them from others until expiry).
        ``until_idle``: return once nothing is in flight and nothing more is due (the CLI)."""
        running: set[asyncio.Future[Outcome]] = set()
        finished: list[Outcome] = []
        while not stop.is_set():
            self._wake.clear()  # a wake from now on means: claim again
            running |= await self._start(finished, self.batch - len(running))
            finished = []  # written by _start
            if until_idle and not running:
                break
            waiters = {asyncio.ensure_future(stop.wait())}
            if len(running) < self.batch:
                waiters.add(asyncio.ensure_future(self._wake.wait()))
            done, _pending = await asyncio.wait(
                running | waiters, timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in waiters:
                waiter.cancel()
            finished = [page.result() for page in running & done]
            running -= done
        if running:
            await asyncio.wait(running)
            finished += [page.result() for page in running]
        if finished:
            await self._settle(finished, 0)

    async def _start(self, finished: list[Outcome], slots: int) -> set[asyncio.Future[Outcome]]:
        try:
            claimed = await self._settle(finished, slots)
        except Exception:  # a database outage: keep the loop, retry after the idle wait
            log.exception("claiming pages to enrich failed; retrying")
            return set()
        return {asyncio.ensure_future(self._enrich(item)) for item in claimed}

    async def _enrich(self, claimed: Claimed) -> Outcome:
        """Fetch and describe one page; what to write is left to :meth:`_settle`."""
        started = asyncio.get_running_loop().time()
        item_id = claimed.item_id
        try:
            page = await self.enricher.enrich(claimed.url)
        except FetchRefused as refused:
            fail = functools.partial(self._fail, item_id=item_id, reason=f"refused: {refused}")
            return Outcome(item_id, started, failure=EnrichmentFailure.refused, write=fail)
        except FetchFailed as failed:
            retry = functools.partial(self._retry, claimed=claimed, error=failed)
            return Outcome(item_id, started, failure=EnrichmentFailure.transient, write=retry)
        except Exception as crash:  # a hostile page must never stop the worker
            log.exception("extraction crashed on %s", claimed.url)
            reason = f"extraction error: {type(crash).__name__}: {crash}"
            fail = functools.partial(self._fail, item_id=item_id, reason=reason)
            return Outcome(item_id, started, failure=EnrichmentFailure.crashed, write=fail)
        return Outcome(item_id, started, page=page)

    def _write(self, repo: Repo, outcomes: list[Outcome]) -> None:
        pages = {o.item_id: o.page for o in outcomes if o.page is not None}
        if pages:
            self._store(repo, pages)
        for outcome in outcomes:
            if outcome.write is not None:
                outcome.write(repo)

    def _observe(self, written: list[Outcome]) -> None:
        """Count and time the pages whose results are committed."""
        now = asyncio.get_running_loop().time()
        for outcome in written:
            if outcome.page is not None:
                self.enriched += 1
                self.latencies.append(now - outcome.started)
            observe_enrichment(now - outcome.started, outcome.failure)

    def _fail(self, repo: Repo, item_id: int, reason: str) -> None:
        item = repo.item(item_id)
        if item is not None:
            item.enrich_status, item.enrich_error = EnrichStatus.failed, reason
            item.enrich_lease_owner = item.enrich_lease_until = None
            self.failures += 1
            _log_failure(item, reason)

    def _retry(self, repo: Repo, claimed: Claimed, error: FetchFailed) -> None:
        item = repo.item(claimed.item_id)
        if item is None:
            return
        item.enrich_lease_owner = item.enrich_lease_until = None
        if item.enrich_attempts >= self.config.fetch.max_attempts:  # counted when claimed
            item.enrich_status = EnrichStatus.failed
            item.enrich_error = f"gave up after {item.enrich_attempts} attempts: {error}"
            self.failures += 1
            _log_failure(item, item.enrich_error)
            return
        self.retries += 1
        wait = error.retry_after or 30 * 2 ** (item.enrich_attempts - 1)
        item.enrich_next_at = self.now() + timedelta(seconds=wait)
        item.enrich_error = f"will retry: {error}"

    def _store(self, repo: Repo, pages: dict[int, PageMetadata]) -> None:
        """Store fetched pages: one read of their items, one re-derivation of them all."""
        touched: dict[int, Item] = {}
        for item in repo.items_by_id(sorted(pages)):
            page = pages[item.id or 0]
            _apply_metadata(item, cleaned(page))
            target = _follow_final_url(repo, item, page)
            if target is not None:
                merge_items(repo, item, target)
                touched[target.id or 0] = target
            touched[item.id or 0] = item
        recompute_items(self.config, repo, list(touched.values()))


def _log_failure(item: Item, reason: str) -> None:
    log_event(
        log,
        "enrichment_failed",
        "item {item}: cannot read {url}: {reason}",
        item=item.id,
        url=item.url,
        reason=reason,
    )


def _apply_metadata(item: Item, page: PageMetadata) -> None:
    item.title = (page.title or "")[:TITLE_LIMIT] or None
    if page.summary:
        item.summary = page.summary
        item.summary_source = (
            SummarySource.main_text if page.summary_is_fallback else SummarySource.page
        )
    item.image_url = page.image_url
    item.site_name = page.site_name
    item.author = page.author
    item.published_at = page.published_at
    item.lang = (page.lang or "")[:20] or None
    item.word_count = page.word_count
    item.final_url = page.final_url
    item.declared_canonical = page.canonical_url
    item.main_text = (page.main_text or "")[:MAIN_TEXT_LIMIT] or None
    item.enrich_status, item.enrich_error = EnrichStatus.done, None
    item.enrich_lease_owner = item.enrich_lease_until = None
    item.updated_at = utcnow()


def _follow_final_url(repo: Repo, item: Item, page: PageMetadata) -> Item | None:
    """Make a redirected link (a short link) count as the page it landed on.

    Returns the digest's existing item for that page, to merge into; with no such item, the
    item itself takes the final URL's key (so later shares of the long URL land on it) and
    None is returned.
    """
    try:
        key = canonical_url(page.final_url)
    except NotHttpUrl:
        return None
    if key == item.canonical_url:
        return None
    existing = repo.item_by_url(item.digest, key)
    if existing is None:
        item.canonical_url = key
        return None
    return existing if existing.id != item.id else None


def merge_items(repo: Repo, source: Item, target: Item) -> None:
    """Move shares and decisions from ``source`` to ``target``; keep ``source`` as history."""
    assert source.id is not None
    assert target.id is not None
    known = {(s.channel, s.message_id) for s in repo.shares_of_item(target.id)}
    for share in repo.shares_of_item(source.id):
        if (share.channel, share.message_id) not in known:
            share.item_id = target.id
        else:
            share.active = False
    repo.move_decisions(source.id, target.id)
    source.merged_into = target.id
    source.status = ItemStatus.withdrawn
    repo.flush()
