"""The compiled issue: the one structure every renderer reads.

Renderers are pure functions of a ``CompiledIssue``; all text in it that came from a person or a
web page is raw (unescaped) and each renderer escapes it for its own format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class IssueItem:
    number: int
    item_id: int
    url: str
    title: str
    summary: str | None = None
    why: str | None = None
    image_url: str | None = None
    site_name: str | None = None
    word_count: int | None = None
    reading_minutes: int | None = None
    shared_by: str | None = None  # display name, or None when the digest hides sharers
    featured: bool = False
    votes: int = 0
    summary_generated: bool = False
    revisited: bool = False  # an earlier issue carried it; an editor approved it again
    archived_url: str | None = None  # its snapshot at the archive ([archive]), once taken


@dataclass(frozen=True, slots=True)
class IssueSection:
    name: str
    items: tuple[IssueItem, ...]


@dataclass(frozen=True, slots=True)
class CompiledIssue:
    digest: str
    number: int
    title: str
    period_start: datetime
    period_end: datetime
    sections: tuple[IssueSection, ...]
    intro: str | None = None
    outro: str | None = None
    read_more: str = "words"  # "words" -> "Read more (N words)"; "minutes" -> "(N min read)"
    public_url: str | None = None  # absolute link to this issue in the web archive
    empty_note: str = "Nothing this week."  # shown when an issue has no items (post_when_empty)
    tags: tuple[str, ...] = field(default=())

    @property
    def items(self) -> tuple[IssueItem, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @property
    def is_empty(self) -> bool:
        return not self.items
