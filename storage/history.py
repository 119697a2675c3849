"""Memory across issues (issue 21): which issue an item went out in, and which published items
were shared again since (the queue shows them, so an editor can bring one back)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select

from storage.models import Issue, Item, ItemStatus, Share
from storage.repo import Repo, chunked


@dataclass(frozen=True, slots=True)
class PublishedIn:
    """The issue an item was (last) published in."""

    number: int
    date: datetime  # when the issue came out (aware, UTC)

    def label(self) -> str:
        """'issue #3 (2026-11-23)', the words receipts and the queue use."""
        return f"issue #{self.number} ({self.date.date().isoformat()})"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _came_out() -> ColumnElement[datetime]:
    """When an issue came out: its publication time, else (still publishing) its claim."""
    return func.coalesce(col(Issue.published_at), col(Issue.created_at))


def published_in(repo: Repo, issue_ids: Iterable[int | None]) -> dict[int, PublishedIn]:
    """Number and date of each of these issues (ids of ``Item.published_issue_id``)."""
    wanted = sorted({issue_id for issue_id in issue_ids if issue_id is not None})
    found: dict[int, PublishedIn] = {}
    for chunk in chunked(wanted):
        rows = repo.session.exec(
            select(Issue.id, Issue.number, _came_out()).where(col(Issue.id).in_(chunk))
        )
        for issue_id, number, date in rows:
            if issue_id is not None:
                found[issue_id] = PublishedIn(number, _utc(date))
    return found


def shared_again(repo: Repo, digest: str, limit: int) -> list[Item]:
    """Published items of ``digest`` with a live share made after their issue came out."""
    newer = (
        select(Share.item_id)
        .where(
            col(Share.item_id) == col(Item.id),
            col(Issue.id) == col(Item.published_issue_id),
            col(Share.active),
            col(Share.shared_at) > _came_out(),
        )
        .correlate(Item)
        .exists()
    )
    query = (
        select(Item)
        .where(Item.digest == digest, Item.status == ItemStatus.published, newer)
        .order_by(col(Item.id))
        .limit(limit)
    )
    return list(repo.session.exec(query).all())
