"""Read-only queries for the web app: archive listings, the stats page and the metrics scrape.

Week bucketing and domain extraction happen in Python (``bot.web.stats``): the SQL stays the same
on SQLite and PostgreSQL, and the rows are few (one per item in the window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from storage.models import Issue, IssueState, Item, ItemStatus, Share
from storage.repo import Repo

# Items that still count as shared: not folded into another item and not withdrawn by their sharer.
_GONE = (ItemStatus.withdrawn,)


@dataclass(frozen=True, slots=True)
class SharedItem:
    """One item in the stats window: when it was first shared, where it points, its status."""

    first_shared_at: datetime
    canonical_url: str
    status: str


@dataclass(frozen=True, slots=True)
class IssueHeader:
    """A published issue without its compiled content (listings need only this)."""

    digest: str
    number: int
    title: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class SharerCount:
    user: str
    name: str
    shares: int


class StatsRepo(Repo):
    """Listings and aggregates for the web app; never writes."""

    def published_issues(self, digest: str | None = None) -> list[IssueHeader]:
        published_at = func.coalesce(col(Issue.published_at), col(Issue.created_at))
        query = select(Issue.digest, Issue.number, Issue.title, published_at).where(
            Issue.state == IssueState.published
        )
        if digest is not None:
            query = query.where(Issue.digest == digest)
        rows = self._session.exec(query.order_by(col(Issue.digest), col(Issue.number))).all()
        return [IssueHeader(*row) for row in rows]

    def items_by_digest_and_status(self) -> dict[tuple[str, str], int]:
        rows = self._session.exec(
            select(Item.digest, Item.status, func.count())
            .where(col(Item.merged_into).is_(None))
            .group_by(col(Item.digest), col(Item.status))
        ).all()
        return {(digest, status): int(count) for digest, status, count in rows}

    def shared_items_since(self, since: datetime, digests: Sequence[str]) -> list[SharedItem]:
        rows = self._session.exec(
            select(Item.first_shared_at, Item.canonical_url, Item.status).where(
                col(Item.digest).in_(digests),
                col(Item.merged_into).is_(None),
                col(Item.status).not_in(_GONE),
                col(Item.first_shared_at) >= since,
            )
        ).all()
        return [SharedItem(at, url, status) for at, url, status in rows if at is not None]

    def top_sharers(self, since: datetime, digests: Sequence[str], limit: int) -> list[SharerCount]:
        """People by active shares in the window, each under one of their display names."""
        shares = func.count(col(Share.id))
        rows = self._session.exec(
            select(Share.user, func.max(Share.user_name), shares)
            .join(Item, col(Item.id) == col(Share.item_id))
            .where(
                col(Share.active),
                col(Share.user).is_not(None),
                col(Share.shared_at) >= since,
                col(Item.digest).in_(digests),
                col(Item.merged_into).is_(None),
            )
            .group_by(col(Share.user))
            .order_by(shares.desc(), col(Share.user))
            .limit(limit)
        ).all()
        return [SharerCount(user or "", name or user or "", int(n)) for user, name, n in rows]
