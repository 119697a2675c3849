"""Queries about issues: the publish claim, deliveries and publication marks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import col, select

from storage.models import (
    Delivery,
    DeliveryState,
    Issue,
    IssueState,
    Item,
    ItemStatus,
    NewsletterDraft,
    utcnow,
)
from storage.repo import Repo, chunked, insert_ignore


class IssueRepo(Repo):
    """Claims, deliveries, newsletter drafts and publication marks of digest issues."""

    def issue(self, digest: str, period: str) -> Issue | None:
        return self._session.exec(
            select(Issue).where(Issue.digest == digest, Issue.period == period)
        ).first()

    def issue_by_number(self, digest: str, number: int) -> Issue | None:
        return self._session.exec(
            select(Issue).where(Issue.digest == digest, Issue.number == number)
        ).first()

    def issues(self, digest: str | None = None, published_only: bool = True) -> list[Issue]:
        query = select(Issue)
        if digest:
            query = query.where(Issue.digest == digest)
        if published_only:
            query = query.where(Issue.state == IssueState.published)
        return list(self._session.exec(query.order_by(col(Issue.digest), col(Issue.number))).all())

    def next_issue_number(self, digest: str) -> int:
        highest = self._session.exec(
            select(func.max(Issue.number)).where(Issue.digest == digest)
        ).one()
        return int(highest or 0) + 1

    def last_published(self, digest: str) -> Issue | None:
        return self._session.exec(
            select(Issue)
            .where(Issue.digest == digest, Issue.state == IssueState.published)
            .order_by(col(Issue.number).desc())
        ).first()

    def claim_new_issue(self, values: dict[str, Any]) -> bool:
        """Insert the (digest, period) claim row; False if another process holds it already."""
        return insert_ignore(self._session, Issue, values)

    def take_over(self, issue_id: int, owner: str, now: datetime, until: datetime) -> bool:
        """Adopt a claim whose holder stopped (lease expired) or that we hold already."""
        result = self._session.execute(
            update(Issue)
            .where(
                col(Issue.id) == issue_id,
                col(Issue.state) == IssueState.claimed,
                or_(col(Issue.claimed_until) < now, col(Issue.claimed_by) == owner),
            )
            .values(claimed_by=owner, claimed_until=until)
            .returning(col(Issue.id))
        )
        return result.first() is not None

    def deliveries(self, issue_id: int) -> list[Delivery]:
        return list(
            self._session.exec(
                select(Delivery)
                .where(Delivery.issue_id == issue_id)
                .order_by(col(Delivery.destination), col(Delivery.part))
            ).all()
        )

    def delivery(self, key: str) -> Delivery | None:
        return self._session.exec(select(Delivery).where(Delivery.key == key)).first()

    def ensure_delivery(self, issue_id: int, destination: str, part: int, key: str) -> None:
        insert_ignore(
            self._session,
            Delivery,
            {
                "issue_id": issue_id,
                "destination": destination,
                "part": part,
                "key": key,
                "state": DeliveryState.pending,
                "attempts": 0,
            },
        )

    def mark_items_published(self, issue_id: int, item_ids: Sequence[int]) -> None:
        for chunk in chunked(item_ids):
            self._session.execute(
                update(Item)
                .where(col(Item.id).in_(chunk))
                .values(
                    published_issue_id=issue_id, status=ItemStatus.published, updated_at=utcnow()
                )
            )

    def draft(self, digest: str, period: str, destination: str) -> NewsletterDraft | None:
        return self._session.exec(
            select(NewsletterDraft).where(
                NewsletterDraft.digest == digest,
                NewsletterDraft.period == period,
                NewsletterDraft.destination == destination,
            )
        ).first()

    def begin_draft(self, digest: str, period: str, destination: str, key: str) -> NewsletterDraft:
        """The period's draft row for ``destination`` (made with ``key`` if new), with this
        attempt counted before the platform is called."""
        values = {"digest": digest, "period": period, "destination": destination}
        insert_ignore(self._session, NewsletterDraft, {**values, "key": key, "attempts": 0})
        row = self.draft(digest, period, destination)
        assert row is not None
        row.attempts += 1
        return row

    def drafts(self, digest: str, period: str) -> list[NewsletterDraft]:
        return list(
            self._session.exec(
                select(NewsletterDraft)
                .where(NewsletterDraft.digest == digest, NewsletterDraft.period == period)
                .order_by(col(NewsletterDraft.destination))
            ).all()
        )
