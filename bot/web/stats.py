"""The stats page's numbers and its bar chart, drawn as SVG on the server (no script, no CDN).

Weeks are ISO weeks (Monday to Sunday) in UTC. "Approved" counts the week's shared items that
editors approved, whether or not they were published yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from bot.capture.text import clean_text
from bot.web.archive import as_utc
from storage.db import Database
from storage.models import ItemStatus
from storage.stats import SharedItem

WEEKS = 12
TOP = 10
APPROVED = (ItemStatus.approved, ItemStatus.published)


@dataclass(frozen=True, slots=True)
class WeekCount:
    start: date
    shared: int
    approved: int


@dataclass(frozen=True, slots=True)
class Ranked:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Stats:
    weeks: list[WeekCount]  # oldest first
    domains: list[Ranked]
    sharers: list[Ranked] | None  # None when every digest in view hides its sharers


def week_start(moment: datetime) -> date:
    day = as_utc(moment).date()
    return day - timedelta(days=day.weekday())


def domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or url


def weekly_counts(items: Sequence[SharedItem], first_week: date, weeks: int) -> list[WeekCount]:
    shared = Counter(week_start(item.first_shared_at) for item in items)
    approved = Counter(week_start(i.first_shared_at) for i in items if i.status in APPROVED)
    starts = [first_week + timedelta(weeks=n) for n in range(weeks)]
    return [WeekCount(start, shared[start], approved[start]) for start in starts]


def top_domains(items: Sequence[SharedItem], limit: int = TOP) -> list[Ranked]:
    counts = Counter(domain(item.canonical_url) for item in items)
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return [Ranked(label, count) for label, count in ranked[:limit]]


def read_stats(
    db: Database,
    digests: Sequence[str],
    sharer_digests: Sequence[str],
    now: datetime,
    weeks: int = WEEKS,
) -> Stats:
    """The last ``weeks`` weeks up to ``now`` (blocking: run in a thread).

    Sharers are counted only over ``sharer_digests``: those whose issues show who shared.
    """
    first_week = week_start(now) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_week, datetime.min.time(), tzinfo=now.tzinfo)
    with db.reading() as uow:
        repo = uow.stats
        items = repo.shared_items_since(since, digests)
        people = repo.top_sharers(since, sharer_digests, TOP) if sharer_digests else None
    # names are cleaned at ingest; this also disarms names stored before that (bidi overrides)
    sharers = None if people is None else [Ranked(clean_text(p.name), p.shares) for p in people]
    return Stats(weekly_counts(items, first_week, weeks), top_domains(items), sharers)


# --- the chart --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str  # shared | approved: the CSS class that colours it
    label: str  # the tooltip


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    top: int
    baseline: int
    left: int
    maximum: int
    bars: list[Bar]
    ticks: list[Tick]


def bar_chart(weeks: Sequence[WeekCount], width: int = 720, height: int = 240) -> Chart:
    """Two bars a week (shared, approved) scaled to the busiest week."""
    left, top, bottom = 40, 12, 36
    baseline = height - bottom
    maximum = max([week.shared for week in weeks] + [1])
    slot = (width - left) / max(len(weeks), 1)
    bar_width = slot * 0.38
    scale = (baseline - top) / maximum
    bars, ticks = [], []
    for index, week in enumerate(weeks):
        x = left + index * slot + slot * 0.1
        label = f"week of {week.start.isoformat()}"
        pair = ((0.0, "shared", week.shared), (1.0, "approved", week.approved))
        for offset, series, value in pair:
            bar_height = value * scale
            bars.append(
                Bar(
                    x=round(x + offset * bar_width, 1),
                    y=round(baseline - bar_height, 1),
                    width=round(bar_width, 1),
                    height=round(bar_height, 1),
                    series=series,
                    label=f"{label}: {value} {series}",
                )
            )
        ticks.append(Tick(round(x + bar_width, 1), f"{week.start:%d %b}"))
    return Chart(width, height, top, baseline, left, maximum, bars, ticks)
