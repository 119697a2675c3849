"""Build the next issue of a digest from its approved, unpublished items.

Order: sections in configured order; within a section the items an editor placed (the desk's
manual order, ``Item.position``) in that order, then the others: featured first, then by votes
(or by engagement score with ``order = "score"``), then by when they were first shared (so a
manual order survives new items). Caps (per section, total) hold items back for the next issue;
nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.capture.canonical import clean_url
from bot.capture.engagement import item_score
from bot.config import DigestConfig
from bot.digest.model import CompiledIssue, IssueItem, IssueSection
from storage.models import Item, SummarySource


@dataclass(frozen=True, slots=True)
class IssueContext:
    """What the compiler needs besides the items (looked up by the caller in one transaction)."""

    number: int
    period_start: datetime
    period_end: datetime
    intro: str | None = None
    outro: str | None = None
    public_url: str | None = None


def _rank(digest: DigestConfig) -> Callable[[Item], tuple[bool, int, bool, float, float, int]]:
    """Placed items first in their order, then featured, then by votes or (``order =
    "score"``) by engagement score, then by when the item was first shared."""

    def rank(item: Item) -> tuple[bool, int, bool, float, float, int]:
        shared = item.first_shared_at.timestamp() if item.first_shared_at else float("inf")
        placed = item.position is not None
        weight = item_score(item, digest.score) if digest.order == "score" else item.votes
        return (not placed, item.position or 0, not item.featured, -weight, shared, item.id or 0)

    return rank


def select_items(items: Sequence[Item], digest: DigestConfig) -> list[tuple[str, list[Item]]]:
    """(section, items) in section order, within the digest's caps.

    Sections an editor named that the config does not list come last, in first-seen order.
    """
    order = digest.section_order
    by_section: dict[str, list[Item]] = {name: [] for name in order}
    for item in sorted(items, key=_rank(digest)):
        by_section.setdefault(item.section or digest.default_section, []).append(item)
    budget = digest.max_items if digest.max_items is not None else len(items)
    chosen: list[tuple[str, list[Item]]] = []
    for name, section_items in by_section.items():
        take = section_items[: digest.max_per_section] if digest.max_per_section else section_items
        take = take[: max(budget, 0)]
        budget -= len(take)
        chosen.append((name, take))
    return chosen


def title_for(digest: DigestConfig, number: int, when: datetime) -> str:
    return digest.title.format(
        name=digest.name,
        number=number,
        month=when.strftime("%B"),
        year=when.year,
        date=when.date().isoformat(),
    )


def issue_item(item: Item, number: int = 0, sharer: str | None = None) -> IssueItem:
    """An item as issues show it: the editor's overrides before the page's and the unfurl's."""
    assert item.id is not None
    summary = item.summary_override or item.summary or item.unfurl_description
    return IssueItem(
        number=number,
        item_id=item.id,
        url=clean_url(item.final_url or item.url),
        title=item.title_override or item.title or item.unfurl_title or item.url,
        summary=summary,
        why=item.why,
        image_url=item.image_override or item.image_url or item.unfurl_image,
        site_name=item.site_name or item.unfurl_site,
        word_count=item.word_count,
        reading_minutes=max(1, round(item.word_count / 230)) if item.word_count else None,
        shared_by=sharer,
        featured=item.featured,
        votes=item.votes,
        summary_generated=item.summary_source == SummarySource.assist and not item.summary_override,
        revisited=item.published_issue_id is not None,
        archived_url=item.archived_url,
    )


def compile_issue(
    digest: DigestConfig,
    items: Sequence[Item],
    context: IssueContext,
    sharers: dict[int, str],
) -> CompiledIssue:
    sections: list[IssueSection] = []
    number = 0
    for name, section_items in select_items(items, digest):
        if not section_items:
            continue
        entries = []
        for item in section_items:
            number += 1
            sharer = sharers.get(item.id or 0) if digest.show_sharer else None
            entries.append(issue_item(item, number, sharer))
        sections.append(IssueSection(name=name, items=tuple(entries)))
    return CompiledIssue(
        digest=digest.name,
        number=context.number,
        title=title_for(digest, context.number, context.period_end),
        period_start=context.period_start,
        period_end=context.period_end,
        sections=tuple(sections),
        intro=context.intro if context.intro is not None else digest.intro,
        outro=context.outro if context.outro is not None else digest.outro,
        read_more=digest.read_more,
        public_url=context.public_url,
        empty_note=digest.empty_text,
        tags=tuple(section.name for section in sections),
    )
