"""The assist's background work: plan what each open item lacks, ask the model, record it.

Rules (issue 11):

- **summary**: when the page gave no usable description (``text.description_is_usable``), a
  2–3 sentence neutral summary of the main text becomes ``summary`` with
  ``summary_source='assist'``. An editor's summary is never replaced. Without the model (off,
  failing, out of budget or out of attempts) the extractive summary fills in with
  ``summary_source='main-text'``, but only when the page had no description at all.
- **section**: when no rule placed the item (``section_source == 'default'``), the model picks
  one of the digest's configured sections (or none) as ``suggested_section``; the derivation
  ranks it below every rule, and an editor's reaction or command overrides it.
- **why**: an approved item without a why gets ``suggested_why``, for the editors' preview only.

Every call is written to ``assist_log`` (prompt, output, tokens, error). Calls stop when this
calendar month's tokens (UTC) reach ``monthly_token_budget``. Failures leave the item's content
as it was and set ``assist_error``; a failed feature is retried with back-off up to
``max_attempts`` times. Database work runs in worker threads, each step its own short
transaction, and never while a model call is in flight, so nothing here holds up the scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from bot.assist.client import AssistClient, AssistError, Prompt
from bot.assist.extractive import extractive_summary
from bot.assist.prompts import (
    Article,
    read_section,
    read_summary,
    read_why,
    section_prompt,
    summary_prompt,
    why_prompt,
)
from bot.assist.settings import FEATURES, Feature
from bot.assist.text import description_is_usable
from bot.capture.ingest import recompute_item
from bot.config import Config
from storage.assist_repo import AssistRepo, Attempts
from storage.db import Database
from storage.models import AssistLog, Item, ItemStatus, SectionSource, SummarySource, utcnow
from storage.unit import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")

BUDGET_EXHAUSTED = "monthly token budget exhausted"
PAGE_SOURCES = (None, SummarySource.page, SummarySource.unfurl)
SWEEP_BATCH = 50


@dataclass(frozen=True, slots=True)
class Budget:
    used: int
    limit: int
    since: datetime

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


@dataclass(frozen=True, slots=True)
class Plan:
    """The model calls one item needs now, and what to tell the model about it."""

    item_id: int
    article: Article
    features: tuple[Feature, ...]
    sections: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AssistOutcome:
    item_id: int
    done: tuple[Feature, ...] = ()
    errors: tuple[str, ...] = ()


def month_start(now: datetime) -> datetime:
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _has_page_description(item: Item) -> bool:
    return bool(item.summary and item.summary.strip()) and item.summary_source in PAGE_SOURCES


def summary_wanted(item: Item) -> bool:
    """The item has main text but no editor's, generated or usable page summary."""
    if (
        item.summary_override
        or item.summary_source in (SummarySource.editor, SummarySource.assist)
        or not item.main_text
    ):
        return False
    if _has_page_description(item):
        return not description_is_usable(item.summary, item.title, item.site_name)
    return True


def _section_wanted(item: Item, sections: tuple[str, ...]) -> bool:
    return (
        bool(sections)
        and item.section_source == SectionSource.default
        and not item.suggested_section
    )


def _why_wanted(item: Item) -> bool:
    return item.status == ItemStatus.approved and not item.why and not item.suggested_why


class AssistService:
    """Runs the assist for a configuration and database; one per process."""

    def __init__(
        self,
        config: Config,
        db: Database,
        client: AssistClient | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = config
        self.settings = config.assist
        self.db = db
        if client is None and self.settings.enabled:
            client = AssistClient(self.settings)
        self.client = client
        self._now = now
        self._fallback_checked: set[tuple[int, int]] = set()

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    # --- entry points -----------------------------------------------------------------------
    async def run_forever(self, stop: asyncio.Event) -> None:
        """Sweep every ``poll_seconds`` until ``stop`` is set; errors are logged, never raised."""
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception:
                log.exception("assist sweep failed; next try in %ss", self.settings.poll_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.poll_seconds)

    async def sweep(self) -> list[AssistOutcome]:
        """One pass over every open item; returns what was attempted."""
        outcomes: list[AssistOutcome] = []
        after = 0
        while True:
            plans, last = await self._db(partial(self._plan_batch, after=after))
            for plan in plans:
                outcomes.append(await self._run(plan))
            if last is None:
                return outcomes
            after = last

    async def assist_item(self, item_id: int) -> AssistOutcome:
        """Do whatever one item needs now (the CLI's ``assist run --item``)."""
        plan = await self._db(lambda repo: self._plan_one(repo, item_id))
        return await self._run(plan) if plan else AssistOutcome(item_id)

    async def usage(self) -> Budget:
        """This month's token use against the budget (for ``assist status``)."""
        return await self._db(self._budget)

    async def audit(self, item_id: int) -> list[AssistLog]:
        """Every model call made for an item, oldest first."""
        return await self._db(lambda repo: list(repo.logs(item_id)))

    # --- planning (inside one transaction) --------------------------------------------------
    def _plan_batch(self, repo: AssistRepo, after: int) -> tuple[list[Plan], int | None]:
        ids = repo.candidate_ids(after, SWEEP_BATCH)
        plans = [plan for item_id in ids if (plan := self._plan_one(repo, item_id))]
        return plans, ids[-1] if ids else None

    def _plan_one(self, repo: AssistRepo, item_id: int) -> Plan | None:
        item = repo.item(item_id)
        if item is None or item.id is None:
            return None
        try:
            digest = self.config.digest(item.digest)
        except KeyError:
            return None  # a digest removed from the config
        sections = tuple(rule.name for rule in digest.sections)
        wanted = {
            "summary": summary_wanted(item),
            "section": _section_wanted(item, sections),
            "why": _why_wanted(item),
        }
        attempts = repo.attempts(item.id) if self.client else {}
        features = tuple(
            f for f in FEATURES if wanted[f] and self._may_call(f, attempts.get(f, Attempts()))
        )
        if wanted["summary"] and "summary" not in features:
            self._fill_extractive(item)
        if not features:
            return None
        return Plan(item.id, self._article(item), features, sections)

    def _may_call(self, feature: Feature, attempts: Attempts) -> bool:
        """Enabled, never answered yet, attempts left, and the back-off since the last failure
        (twice the poll interval, doubling with each failure) has passed."""
        if self.client is None or not self.settings.uses(feature) or attempts.succeeded:
            return False
        if attempts.failures >= self.settings.max_attempts:
            return False
        if attempts.last_at is None:
            return True
        wait = timedelta(seconds=self.settings.poll_seconds * 2**attempts.failures)
        return _aware(attempts.last_at) + wait <= self._now()

    def _article(self, item: Item) -> Article:
        description = item.summary if _has_page_description(item) else None
        if not description_is_usable(description, item.title, item.site_name):
            description = None
        return Article(
            url=item.final_url or item.url,
            title=item.title_override or item.title or item.unfurl_title,
            description=description,
            text=(item.main_text or "")[: self.settings.max_input_chars],
            note=item.note,
        )

    def _fill_extractive(self, item: Item) -> None:
        """The no-model summary, only where the page had no description of its own."""
        if _has_page_description(item) or item.id is None:
            return
        key = (item.id, hash(item.main_text))
        if key in self._fallback_checked:
            return
        summary = extractive_summary(item.main_text)
        if summary and summary != item.summary:
            item.summary, item.summary_source = summary, SummarySource.main_text
            item.updated_at = self._now()
        self._fallback_checked.add(key)

    def _budget(self, repo: AssistRepo) -> Budget:
        since = month_start(self._now())
        return Budget(repo.tokens_since(since), self.settings.monthly_token_budget, since)

    # --- running a plan ---------------------------------------------------------------------
    async def _run(self, plan: Plan) -> AssistOutcome:
        done: list[Feature] = []
        errors: list[str] = []
        for feature in plan.features:
            budget = await self._db(self._budget)
            if budget.exhausted:
                errors.append(
                    f"{BUDGET_EXHAUSTED} ({budget.used} of {budget.limit} tokens used "
                    f"since {budget.since:%Y-%m-%d})"
                )
                break
            error = await self._call(plan, feature)
            if error:
                errors.append(f"{feature}: {error}")
            else:
                done.append(feature)
        summary_missed = "summary" in plan.features and "summary" not in done
        await self._db(lambda repo: self._finish(repo, plan.item_id, errors, summary_missed))
        return AssistOutcome(plan.item_id, tuple(done), tuple(errors))

    def _prompt(self, plan: Plan, feature: Feature) -> Prompt:
        if feature == "summary":
            return summary_prompt(plan.article)
        if feature == "section":
            return section_prompt(plan.article, plan.sections)
        return why_prompt(plan.article)

    async def _call(self, plan: Plan, feature: Feature) -> str | None:
        """One model call, logged; the error text, or ``None`` when the answer was applied."""
        assert self.client is not None
        prompt = self._prompt(plan, feature)
        entry = AssistLog(
            item_id=plan.item_id,
            feature=feature,
            model=self.settings.model,
            prompt=prompt.as_text(),
            at=self._now(),
        )
        answer: str | None = None
        try:
            completion = await self.client.complete(prompt)
            entry.output, entry.tokens = completion.text, completion.tokens
            answer = self._read(feature, completion.text, plan)
        except AssistError as exc:
            entry.error, entry.tokens = exc.reason, exc.tokens
        except ValueError as exc:
            entry.error = str(exc)
        await self.db.write(lambda uow: self._record(uow, entry, answer))
        if entry.error:
            log.info("assist %s for item %s failed: %s", feature, plan.item_id, entry.error)
        return entry.error

    def _read(self, feature: Feature, output: str, plan: Plan) -> str | None:
        """The usable answer: plain text (``None`` = no section fits); ValueError when unusable."""
        if feature == "section":
            return read_section(output, plan.sections)
        text = read_summary(output) if feature == "summary" else read_why(output)
        if not text:
            raise ValueError("the answer was empty once reduced to plain text")
        return text

    def _record(self, uow: UnitOfWork, entry: AssistLog, answer: str | None) -> None:
        repo = uow.assist
        repo.log(entry)
        item = repo.item(entry.item_id) if entry.item_id is not None else None
        if item is None or entry.error:
            return
        if entry.feature == "summary" and answer:
            if item.summary_override or item.summary_source == SummarySource.editor:
                return  # an editor wrote one while the model was thinking
            item.summary, item.summary_source = answer, SummarySource.assist
        elif entry.feature == "section":
            item.suggested_section = answer
            if answer:
                recompute_item(self.config, uow.items, item)
        elif entry.feature == "why":
            item.suggested_why = answer
        item.updated_at = self._now()

    def _finish(
        self, repo: AssistRepo, item_id: int, errors: list[str], summary_missed: bool
    ) -> None:
        item = repo.item(item_id)
        if item is None:
            return
        error = "; ".join(errors) or None
        if item.assist_error != error:
            item.assist_error, item.updated_at = error, self._now()
        if summary_missed and summary_wanted(item):
            self._fill_extractive(item)

    # --- plumbing ---------------------------------------------------------------------------
    async def _db(self, work: Callable[[AssistRepo], T]) -> T:
        return await self.db.write(lambda uow: work(uow.assist))
