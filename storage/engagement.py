"""Engagement queries (issue 21): the drafts of a period, for the preview's suggestions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Item, ItemStatus

PERIOD_DRAFTS = 5000  # a bound on one period's drafts read for suggestions


class EngagementQueries:
    """Part of ``storage.repo.Repo``: the reads behind the preview's suggestions."""

    _session: Session

    def drafts_since(self, digest: str, since: datetime | None) -> list[Item]:
        """Drafts of ``digest`` first shared at or after ``since`` (all when None), newest
        first (uses ix_item_digest_status_shared)."""
        return _drafts_since(self._session, digest, since)


def _drafts_since(session: Session, digest: str, since: datetime | None) -> list[Item]:
    query = select(Item).where(
        Item.digest == digest, Item.status == ItemStatus.draft, col(Item.merged_into).is_(None)
    )
    if since is not None:
        query = query.where(col(Item.first_shared_at) >= since)
    query = query.order_by(col(Item.first_shared_at).desc()).limit(PERIOD_DRAFTS)
    return list(session.exec(query).all())
