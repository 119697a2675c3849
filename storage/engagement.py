"""Engagement queries (issue 21): the drafts of a period, for the preview's suggestions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from storage.models import Item, ItemStatus
from storage.repo import Repo

PERIOD_DRAFTS = 5000  # a bound on one period's drafts read for suggestions


def drafts_since(repo: Repo, digest: str, since: datetime | None) -> list[Item]:
    """Drafts of ``digest`` first shared at or after ``since`` (all when None), newest first
    (uses ix_item_digest_status_shared)."""
    query = select(Item).where(
        Item.digest == digest, Item.status == ItemStatus.draft, col(Item.merged_into).is_(None)
    )
    if since is not None:
        query = query.where(col(Item.first_shared_at) >= since)
    query = query.order_by(col(Item.first_shared_at).desc()).limit(PERIOD_DRAFTS)
    return list(repo.session.exec(query).all())
