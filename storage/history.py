"""Memory across issues (issue 21): which issue an item went out in, and which published items
were shared again since (the queue shows them, so an editor can bring one back)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from storage.models import Issue, Item, ItemStatus, Share


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


class HistoryQueries:
    """Part of ``storage.repo.Repo``: its queries about earlier issues."""

    _session: Session

    def published_in(self, issue_ids: Iterable[int | None]) -> dict[int, PublishedIn]:
        """Number and date of each of these issues (ids of ``Item.published_issue_id``)."""
        return _published_in(self._session, issue_ids)

    def shared_again(self, digest: str, limit: int) -> list[Item]:
        """Published items of ``digest`` with a live share made after their issue came out."""
        return _shared_again(self._session, digest, limit)


def _published_in(session: Session, issue_ids: Iterable[int | None]) -> dict[int, PublishedIn]:
    from storage.repo import chunked  # repo.py is built on this module

    wanted = sorted({issue_id for issue_id in issue_ids if issue_id is not None})
    found: dict[int, PublishedIn] = {}
    for chunk in chunked(wanted):
        rows = session.exec(
            select(Issue.id, Issue.number, _came_out()).where(col(Issue.id).in_(chunk))
        )
        for issue_id, number, date in rows:
            if issue_id is not None:
                found[issue_id] = PublishedIn(number, _utc(date))
    return found


def _shared_again(session: Session, digest: str, limit: int) -> list[Item]:
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
    return list(session.exec(query).all())
