"""Publish one issue of a digest for one period, exactly once, across crashes and replicas.

1. **Claim**: insert the unique (digest, period) row with the compiled issue in it. Whoever
   inserts it owns the period; others back off. A claim whose holder died (lease expired) is
   adopted and resumed, never recompiled, so it renders the same parts again.
2. **Deliver**: each rendered part of each destination is a ``Delivery`` row with a unique key.
   The attempt is recorded *before* posting; on resume, a part that was attempted but not
   recorded is first looked for on the platform (``find``) so it is never posted twice.
3. **Complete**: in one transaction, mark the issue published and its items published.

Newsletter platforms (``DraftDestination``) get one draft per (digest, period), remembered in
``newsletter_draft``: ``preview_drafts`` makes it from the previewed issue, and delivering the
issue updates that same draft with the final content (or makes it, if the preview did not).

A failing destination never blocks the others: its parts stay pending and are retried on the
next run, and after ``max_attempts`` they are marked failed so the issue can complete.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from bot.app.logs import log_event
from bot.app.metrics import count_publish_failure, count_published
from bot.config import Config, DigestConfig
from bot.deliver.destinations import Destination, DraftDestination, SavedDraft
from bot.deliver.drafts import DraftLink
from bot.digest import store
from bot.digest.compile import IssueContext, compile_issue
from bot.digest.model import CompiledIssue
from storage.db import Database
from storage.issues import IssueRepo
from storage.models import DeliveryState, Issue, IssueState, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")
LEASE = timedelta(minutes=10)


class PublishOutcome(StrEnum):
    published = "published"
    published_with_failures = "published-with-failures"  # complete, but some parts failed
    already_published = "already-published"
    busy = "busy"  # another process holds the claim
    empty = "empty"
    incomplete = "incomplete"  # some parts are still pending: the next run retries them
    dry_run = "dry-run"

    @property
    def partial(self) -> bool:
        """Published only in part, or not at all because another process is publishing."""
        return self in PARTIAL_OUTCOMES


PARTIAL_OUTCOMES = frozenset(
    {PublishOutcome.published_with_failures, PublishOutcome.incomplete, PublishOutcome.busy}
)
ClaimState = PublishOutcome | IssueState  # what ``_claim`` found: claimed, or why not


@dataclass
class PublishReport:
    digest: str
    period: str
    outcome: PublishOutcome
    number: int | None = None
    posted: int = 0
    failures: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # drafts and files to look at
    issue: CompiledIssue | None = None

    def describe(self) -> str:
        """What happened, with one line per failed destination."""
        if self.outcome in (PublishOutcome.published, PublishOutcome.published_with_failures):
            done = f"{self.digest}: issue {self.number} published ({self.posted} new messages)."
            lines = [done, *(f"  {link}" for link in self.links)]
        elif self.outcome == PublishOutcome.incomplete:
            lines = [f"{self.digest}: issue {self.number} partly delivered; the next run retries."]
        else:
            lines = [f"{self.digest} ({self.period}): {self.outcome}."]
        return "\n".join(lines + [f"  failed: {failure}" for failure in self.failures])


class PublishEngine:
    def __init__(
        self,
        config: Config,
        db: Database,
        destinations: Callable[[DigestConfig], dict[str, Destination]],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        owner: str | None = None,
        max_attempts: int = 5,
    ) -> None:
        self.config = config
        self.db = db
        self.destinations = destinations
        self.now = now
        self.owner = owner or f"publisher-{uuid.uuid4().hex[:8]}"
        self.max_attempts = max_attempts

    async def tx(self, work: Callable[[IssueRepo], T]) -> T:
        return await self.db.write(lambda uow: work(uow.issues))

    # --- compile ----------------------------------------------------------------------------
    def compile_next(
        self, repo: IssueRepo, digest: DigestConfig, period_end: datetime
    ) -> CompiledIssue:
        """What would be published now (used by the claim, previews and ``digest preview``)."""
        items = repo.ready_for_issue(digest.name)
        last = repo.last_published(digest.name)
        start = last.published_at if last and last.published_at else _earliest(items, period_end)
        state = repo.digest_state(digest.name)
        base = self.config.web.public_url
        number = repo.next_issue_number(digest.name)
        context = IssueContext(
            number=number,
            period_start=start,
            period_end=period_end,
            intro=state.intro,
            outro=state.outro,
            public_url=f"{base.rstrip('/')}/d/{digest.name}/{number}" if base else None,
        )
        sharers = repo.sharer_names([item.id for item in items if item.id is not None])
        return compile_issue(digest, items, context, sharers)

    async def preview(self, digest: DigestConfig) -> CompiledIssue:
        return await self.tx(lambda repo: self.compile_next(repo, digest, self.now()))

    async def preview_drafts(
        self, digest: DigestConfig, period: str, issue: CompiledIssue
    ) -> list[DraftLink]:
        """Make or update each newsletter platform's draft of ``period`` from the previewed
        ``issue``; a platform that fails gets its reason instead of a link."""
        if issue.is_empty and not digest.post_when_empty:
            return []
        links = []
        for name, destination in self.destinations(digest).items():
            if not isinstance(destination, DraftDestination):
                continue
            [part] = destination.parts(issue)
            key = delivery_key(digest.name, issue.number, name, 0)
            try:
                saved = await self.save_draft(digest.name, period, destination, part, key)
            except Exception as exc:
                log.warning("preview draft %s failed: %s", key, exc)
                links.append(DraftLink(name, error=str(exc)))
            else:
                links.append(DraftLink(name, link=saved.link))
        return links

    async def save_draft(
        self,
        digest: str,
        period: str,
        destination: DraftDestination,
        part: Any,
        key: str,
        retried: bool = False,
    ) -> SavedDraft:
        """Save the period's draft on ``destination``: update the one remembered, else make it
        (marked with ``key``, or with the key of the first attempt when there was one).
        ``retried``: the caller knows of an earlier attempt that may have made it."""
        name = destination.name
        draft = await self.tx(lambda repo: repo.begin_draft(digest, period, name, key))
        recover = draft.platform_id is None and (retried or draft.attempts > 1)
        try:
            saved = await destination.save(part, draft.key, draft.platform_id, recover)
        except Exception as exc:
            await self.tx(
                functools.partial(_draft_failed, digest=digest, period=period, name=name, error=exc)
            )
            raise
        await self.tx(lambda repo: _draft_saved(repo, digest, period, name, saved))
        return saved

    # --- claim ------------------------------------------------------------------------------
    def _claim(
        self, repo: IssueRepo, digest: DigestConfig, period: str
    ) -> tuple[ClaimState, Issue | None]:
        now = self.now()
        existing = repo.issue(digest.name, period)
        if existing is None:
            issue = self.compile_next(repo, digest, now)
            if issue.is_empty and not digest.post_when_empty:
                return PublishOutcome.empty, None
            inserted = repo.claim_new_issue(
                {
                    "digest": digest.name,
                    "period": period,
                    "number": issue.number,
                    "title": issue.title,
                    "state": IssueState.claimed,
                    "claimed_by": self.owner,
                    "claimed_until": now + LEASE,
                    "compiled": store.dumps(issue),
                    "created_at": now,
                }
            )
            existing = repo.issue(digest.name, period)
            if inserted and existing is not None:
                return IssueState.claimed, existing
            if existing is None:  # lost a race on the issue number: retry on the next run
                return PublishOutcome.busy, None
        if existing.state == IssueState.published:
            return PublishOutcome.already_published, existing
        assert existing.id is not None
        if repo.take_over(existing.id, self.owner, now, now + LEASE):
            return IssueState.claimed, existing
        return PublishOutcome.busy, existing

    # --- deliver ----------------------------------------------------------------------------
    async def publish(self, digest_name: str, period: str, dry_run: bool = False) -> PublishReport:
        digest = self.config.digest(digest_name)
        if dry_run:
            issue = await self.preview(digest)
            return PublishReport(
                digest.name, period, PublishOutcome.dry_run, issue.number, issue=issue
            )
        state, row = await self.tx(lambda repo: self._claim(repo, digest, period))
        if isinstance(state, PublishOutcome) or row is None:
            outcome = state if isinstance(state, PublishOutcome) else PublishOutcome.busy
            return PublishReport(digest.name, period, outcome, row.number if row else None)
        issue = store.loads(row.compiled)
        report = PublishReport(
            digest.name, period, PublishOutcome.published, row.number, issue=issue
        )
        targets = self.destinations(digest)
        missing = [name for name in digest.publish_to if name not in targets]
        report.failures += [f"{name}: no adapter configured for it" for name in missing]
        for name, destination in targets.items():
            await self._deliver(row, issue, name, destination, report)
        if await self.tx(lambda repo: self._complete(repo, row, issue)):
            if report.failures:
                report.outcome = PublishOutcome.published_with_failures
            count_published(digest.name)
        else:
            report.outcome = PublishOutcome.incomplete
        log_event(
            log,
            "published",
            "{summary}",
            summary=report.describe(),
            digest=digest.name,
            number=report.number,
            outcome=report.outcome,
        )
        return report

    async def _deliver(
        self,
        row: Issue,
        issue: CompiledIssue,
        name: str,
        destination: Destination,
        report: PublishReport,
    ) -> None:
        assert row.id is not None
        issue_id = row.id
        parts = destination.parts(issue)
        keys = [delivery_key(row.digest, row.number, name, index) for index in range(len(parts))]

        def ensure(repo: IssueRepo) -> None:
            for index, key in enumerate(keys):
                repo.ensure_delivery(issue_id, name, index, key)

        await self.tx(ensure)
        for part, key in zip(parts, keys, strict=True):
            try:
                posted = await self._deliver_part(row, destination, part, key)
                if posted is not None:
                    report.posted += 1
                    if posted.startswith(("https://", "http://", "/")):
                        report.links.append(posted)
            except Exception as exc:
                log.warning("delivery %s failed: %s", key, exc)
                count_publish_failure(row.digest, name)
                await self.tx(functools.partial(self._record_failure, key=key, error=exc))
                report.failures.append(f"{name}: {exc}")
                return  # keep this destination's parts in order: stop at the first failure

    async def _deliver_part(
        self, row: Issue, destination: Destination, part: Any, key: str
    ) -> str | None:
        """Post one part unless it is known (or found) to be posted; the new message's id.
        A newsletter platform's draft is saved instead: the preview's draft, updated."""
        attempted = await self.tx(lambda repo: self._begin_attempt(repo, key))
        if attempted is None:
            return None  # already posted, or given up
        if isinstance(destination, DraftDestination):
            saved = await self.save_draft(
                row.digest, row.period, destination, part, key, retried=attempted > 1
            )
            message_id = saved.link
        else:
            if attempted > 1:
                found = await destination.find(key)
                if found is not None:
                    await self.tx(lambda repo: self._record_posted(repo, key, found))
                    return None
            message_id = await destination.post(part, key)
        await self.tx(lambda repo: self._record_posted(repo, key, message_id))
        return message_id

    def _begin_attempt(self, repo: IssueRepo, key: str) -> int | None:
        delivery = repo.delivery(key)
        if delivery is None or delivery.state != DeliveryState.pending:
            return None
        delivery.attempts += 1
        return delivery.attempts

    def _record_posted(self, repo: IssueRepo, key: str, message_id: str) -> None:
        delivery = repo.delivery(key)
        assert delivery is not None
        delivery.state, delivery.platform_message_id = DeliveryState.posted, message_id
        delivery.posted_at, delivery.error = utcnow(), None

    def _record_failure(self, repo: IssueRepo, key: str, error: Exception) -> None:
        delivery = repo.delivery(key)
        assert delivery is not None
        delivery.error = f"{type(error).__name__}: {error}"
        if delivery.attempts >= self.max_attempts:
            delivery.state = DeliveryState.failed

    # --- complete ---------------------------------------------------------------------------
    def _complete(self, repo: IssueRepo, row: Issue, issue: CompiledIssue) -> bool:
        assert row.id is not None
        deliveries = repo.deliveries(row.id)
        if any(delivery.state == DeliveryState.pending for delivery in deliveries):
            return False
        current = repo.issue(row.digest, row.period)
        assert current is not None
        current.state, current.published_at = IssueState.published, self.now()
        current.claimed_until = None
        repo.mark_items_published(row.id, [item.item_id for item in issue.items])
        state = repo.digest_state(row.digest)
        state.intro = state.outro = None  # editors' intro was for this issue
        return True


def delivery_key(digest: str, number: int, destination: str, part: int) -> str:
    """``weekly:12:ghost:blog:0``: the same on every retry and every resumed run."""
    return f"{digest}:{number}:{destination}:{part}"


def _draft_saved(repo: IssueRepo, digest: str, period: str, name: str, saved: SavedDraft) -> None:
    draft = repo.draft(digest, period, name)
    assert draft is not None
    draft.platform_id, draft.link = saved.id, saved.link
    draft.saved_at, draft.error = utcnow(), None


def _draft_failed(repo: IssueRepo, digest: str, period: str, name: str, error: Exception) -> None:
    draft = repo.draft(digest, period, name)
    assert draft is not None
    draft.error = f"{type(error).__name__}: {error}"


def _earliest(items: list[Any], fallback: datetime) -> datetime:
    times = [item.first_shared_at for item in items if item.first_shared_at is not None]
    return min(times) if times else fallback
