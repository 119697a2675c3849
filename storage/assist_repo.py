"""Queries of the AI assist (``bot.assist``): its work queue, audit log and token budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from storage.models import AssistLog, EnrichStatus, Item, ItemStatus, SectionSource

OPEN_STATUSES = (ItemStatus.draft, ItemStatus.approved)


@dataclass(frozen=True, slots=True)
class Attempts:
    """The history of one assist feature on one item."""

    succeeded: bool = False
    failures: int = 0
    last_at: datetime | None = None


class AssistRepo:
    """The assist's queries in one transaction (``UnitOfWork.assist``)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def item(self, item_id: int) -> Item | None:
        return self._session.get(Item, item_id)

    def candidate_ids(self, after: int, limit: int) -> list[int]:
        """Open, enriched items with ids above ``after`` that may still lack a summary, a
        section or a why. A superset: the service decides per item and feature.
        """
        unsettled_summary = and_(
            col(Item.main_text).is_not(None),
            or_(
                col(Item.summary_source).is_(None),
                col(Item.summary_source).in_(("page", "unfurl", "main-text")),
            ),
        )
        query = (
            select(Item.id)
            .where(
                col(Item.id) > after,
                col(Item.merged_into).is_(None),
                col(Item.status).in_(OPEN_STATUSES),
                Item.enrich_status != EnrichStatus.pending,
                or_(
                    unsettled_summary,
                    and_(
                        col(Item.section_source) == SectionSource.default,
                        col(Item.suggested_section).is_(None),
                    ),
                    and_(
                        col(Item.status) == ItemStatus.approved,
                        col(Item.why).is_(None),
                        col(Item.suggested_why).is_(None),
                    ),
                ),
            )
            .order_by(col(Item.id))
            .limit(limit)
        )
        return [item_id for item_id in self._session.exec(query).all() if item_id is not None]

    def attempts(self, item_id: int) -> dict[str, Attempts]:
        """Per feature: whether a call ever succeeded, how many failed, and the latest one."""
        failed = case((col(AssistLog.error).is_not(None), 1), else_=0)
        rows = self._session.exec(
            select(
                AssistLog.feature,
                func.count(),
                func.sum(failed),
                func.max(AssistLog.at),
            )
            .where(AssistLog.item_id == item_id)
            .group_by(AssistLog.feature)
        ).all()
        return {
            feature: Attempts(
                succeeded=int(failures or 0) < total, failures=int(failures or 0), last_at=last
            )
            for feature, total, failures, last in rows
        }

    def tokens_since(self, since: datetime) -> int:
        """Tokens spent by every call from ``since`` on (the budget's month so far)."""
        total = self._session.exec(
            select(func.coalesce(func.sum(AssistLog.tokens), 0)).where(AssistLog.at >= since)
        ).one()
        return int(total)

    def log(self, entry: AssistLog) -> None:
        self._session.add(entry)

    def logs(self, item_id: int) -> Sequence[AssistLog]:
        """An item's model calls, oldest first (the audit trail)."""
        return self._session.exec(
            select(AssistLog)
            .where(AssistLog.item_id == item_id)
            .order_by(col(AssistLog.at), col(AssistLog.id))
        ).all()
