"""Run each digest on its schedule: preview first, publish once, catch up after downtime.

APScheduler (3.x) is only the alarm clock: a cron job per digest at its exact time plus a
30-second tick. Every decision is made by ``tick`` from the clock and the database, so a
missed, repeated or concurrent firing (several replicas) changes nothing: the publish claim on
(digest, period) and the preview/settled marks make each step happen once.

- Within ``grace_hours`` after a slot, an unpublished period is published (catch-up on start).
- Later than that, the editors are told once and the period waits for
  ``linkletter digest publish``. Several missed slots make one issue (the latest period).
- ``preview_hours`` before a slot, the compiled issue goes to the editors once, with links to
  the newsletter-platform drafts made from it (updated with the final issue at publish).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app.logs import log_event
from bot.config import Config, DigestConfig
from bot.deliver.cadence import last_slot, next_slot, parse_schedule, period_key
from bot.deliver.drafts import DraftLink, drafts_line
from bot.deliver.engine import PublishEngine, PublishOutcome, PublishReport
from bot.deliver.notify import EditorNotifier
from bot.digest.model import CompiledIssue
from bot.platforms import platform
from storage.issues import IssueRepo
from storage.models import IssueState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DigestTimes:
    digest: str
    schedule: str
    timezone: str
    next_run: datetime | None
    last_slot: datetime | None


class DigestScheduler:
    def __init__(
        self,
        config: Config,
        engine: PublishEngine,
        notifier: EditorNotifier,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.engine = engine
        self.notifier = notifier
        self.now = now
        self.triggers = {d.name: parse_schedule(d.schedule, d.timezone) for d in config.digests}
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()

    # --- the decisions ----------------------------------------------------------------------
    async def tick(self) -> list[PublishReport]:
        """Publish, alert or preview whatever is due now. Safe to call at any time, any number
        of times, from any number of processes."""
        async with self._lock:
            reports = []
            for digest in self.config.digests:
                try:
                    report = await self._publish_if_due(digest)
                    if report is not None:
                        reports.append(report)
                    await self._preview_if_due(digest)
                except Exception:  # one digest's trouble must not stop the others
                    log.exception("scheduler tick failed for digest %s", digest.name)
            return reports

    async def _publish_if_due(self, digest: DigestConfig) -> PublishReport | None:
        now = self.now()
        slot = last_slot(self.triggers[digest.name], now)
        if slot is None:
            return None
        period = period_key(slot, digest.timezone)
        status = await self.engine.tx(lambda repo: _period_status(repo, digest.name, period))
        if status in (PeriodStatus.published, PeriodStatus.settled):
            return None
        late = (now - slot).total_seconds() / 3600
        if status == PeriodStatus.new and late > digest.grace_hours:
            await self._settle(digest, period)
            if not await self.engine.tx(lambda repo: repo.shared_before(digest.name, slot)):
                return None  # the digest was not live yet at that slot: nothing was missed
            log.warning("missed the %s digest due %s: nothing posted", digest.name, slot)
            await self.notifier.say(
                digest,
                f"Linkletter missed the {digest.name} digest due {slot:%a %d %b %H:%M %Z} "
                f"(down for {late:.0f} h, grace {digest.grace_hours:g} h). Nothing was posted. "
                f"Run `linkletter digest publish --digest {digest.name}` to send it now.",
                key=f"missed:{digest.name}:{period}",
            )
            return None
        report = await self.engine.publish(digest.name, period)
        if report.outcome == PublishOutcome.empty:
            await self._settle(digest, period)
        if report.links:
            await self.notifier.say(
                digest,
                f"{digest.name} issue {report.number} is out. Drafts and files to review: "
                + " ".join(report.links),
                key=f"links:{digest.name}:{period}",
            )
        if report.failures:
            await self.notifier.say(
                digest,
                f"Publishing {digest.name} had problems: " + "; ".join(report.failures),
                key=f"failed:{digest.name}:{period}",
            )
        return report

    async def _settle(self, digest: DigestConfig, period: str) -> None:
        def mark(repo: IssueRepo) -> None:
            repo.digest_state(digest.name).settled_period = period

        await self.engine.tx(mark)

    async def _preview_if_due(self, digest: DigestConfig) -> bool:
        now = self.now()
        upcoming = next_slot(self.triggers[digest.name], now)
        if upcoming is None or upcoming - now > digest.preview_before:
            return False
        period = period_key(upcoming, digest.timezone)
        if not await self.engine.tx(lambda repo: _claim_preview(repo, digest.name, period)):
            return False
        issue = await self.engine.preview(digest)
        drafts = await self.engine.preview_drafts(digest, period, issue)
        suggestions = await self.engine.tx(lambda repo: repo.why_suggestions(digest.name))
        payloads = preview_payloads(issue, upcoming, self.notifier.chat, suggestions, drafts)
        await self.notifier.send(digest, payloads, f"preview:{period}")
        log_event(
            log,
            "preview",
            "preview of {digest} issue {number} sent to its editors ({items} items)",
            digest=digest.name,
            number=issue.number,
            items=len(issue.items),
            period=period,
        )
        return True

    # --- information ------------------------------------------------------------------------
    def times(self) -> list[DigestTimes]:
        now = self.now()
        return [
            DigestTimes(
                d.name,
                d.schedule,
                d.timezone,
                next_slot(self.triggers[d.name], now),
                last_slot(self.triggers[d.name], now),
            )
            for d in self.config.digests
        ]

    # --- the alarm clock --------------------------------------------------------------------
    def start(self) -> None:
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=30),
            id="linkletter:tick",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        for digest in self.config.digests:
            scheduler.add_job(
                self.tick,
                self.triggers[digest.name],
                id=f"linkletter:publish:{digest.name}",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=int(digest.grace_hours * 3600) or None,
            )
        scheduler.start()
        self._scheduler = scheduler

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None


class PeriodStatus(StrEnum):
    """Where a digest's period stands: its issue's state, or no issue yet."""

    claimed = IssueState.claimed
    published = IssueState.published
    settled = "settled"  # missed past the grace and reported; nothing will be published
    new = "new"


def _period_status(repo: IssueRepo, digest: str, period: str) -> PeriodStatus:
    issue = repo.issue(digest, period)
    if issue is not None:
        return PeriodStatus(issue.state)
    settled = repo.digest_state(digest).settled_period == period
    return PeriodStatus.settled if settled else PeriodStatus.new


def _claim_preview(repo: IssueRepo, digest: str, period: str) -> bool:
    state = repo.digest_state(digest)
    if state.preview_sent_for == period:
        return False
    state.preview_sent_for = period
    return True


def preview_payloads(
    issue: CompiledIssue,
    when: datetime,
    platforms: Iterable[str],
    suggestions: Sequence[tuple[int, str]] = (),
    drafts: Sequence[DraftLink] = (),
) -> dict[str, list[dict[str, Any]]]:
    """The issue as it would go out, after a short heading for the editors with the links to
    its newsletter-platform drafts, and the assist's why-suggestions (editors only; accepted
    with ``/linkletter why <item> accept``), natively for each of ``platforms`` (by name)."""
    heading = (
        f"Preview of {issue.title}, publishing {when:%a %d %b %H:%M %Z}: "
        f"{len(issue.items)} items. React ✅/❌/⭐ on the shared messages to change it."
        if not issue.is_empty
        else f"Preview: nothing is approved for {issue.digest} yet (publishing {when:%a %H:%M %Z})."
    )
    if drafts:
        heading += (
            f"\n{drafts_line(drafts)}\nThe drafts get the final issue at {when:%H:%M %Z}: "
            "edit them on the platform after that."
        )
    generated = [i.number for i in issue.items if i.summary_generated]
    notes = [heading] + [
        f"Suggested why for item {item_id}: {why} (`/linkletter why {item_id} accept`)"
        for item_id, why in suggestions
    ]
    if generated:
        notes.append(
            "Summaries written by the AI assist (reply `summary: …` to replace one): items "
            + ", ".join(map(str, generated))
        )
    payloads: dict[str, list[dict[str, Any]]] = {}
    for name in platforms:
        chat = platform(name)
        texts = [chat.text_message(note) for note in notes]
        payloads[name] = texts[:1] + ([] if issue.is_empty else chat.render(issue)) + texts[1:]
    return payloads
