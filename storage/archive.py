"""The archive queue (``bot.enrich.archive``): which items want an archived copy, leased like
the enrichment queue so two workers never ask for the same snapshot.

An item joins the queue once an editor approved it (``approved`` or ``published``: what goes
out) and its page was read (so the snapshot is of the page the issue links to, after any
redirect). ``archive_status`` is None until the first claim, then ``pending`` until it is
``done`` or ``failed``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, update
from sqlmodel import Session, col

from storage.models import ArchiveStatus, EnrichStatus, Item, ItemStatus, utcnow
from storage.repo import claim_items

WANTED_STATUSES = (ItemStatus.approved, ItemStatus.published)
STALE_ERROR = "gave up after {attempts} attempts that never finished (the process stopped in each)"


class ArchiveRepo:
    """The archive queue's queries in one transaction (``UnitOfWork.archive``)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(
        self, owner: str, now: datetime, until: datetime, limit: int, max_attempts: int
    ) -> list[tuple[int, str, int]]:
        """Lease up to ``limit`` due items; (id, URL to archive, attempts) of each, the attempt
        counted by the claim (:func:`storage.repo.claim_items`)."""
        self._give_up_stale(now, max_attempts)
        free = or_(col(Item.archive_lease_until).is_(None), col(Item.archive_lease_until) < now)
        due = (
            col(Item.status).in_(WANTED_STATUSES),
            col(Item.merged_into).is_(None),
            col(Item.enrich_status) != EnrichStatus.pending,
            or_(
                col(Item.archive_status).is_(None),
                (col(Item.archive_status) == ArchiveStatus.pending)
                & or_(col(Item.archive_next_at).is_(None), col(Item.archive_next_at) <= now),
            ),
        )
        values = {
            "archive_status": ArchiveStatus.pending,
            "archive_lease_owner": owner,
            "archive_lease_until": until,
            "archive_attempts": col(Item.archive_attempts) + 1,
        }
        returning = (func.coalesce(col(Item.final_url), col(Item.url)), col(Item.archive_attempts))
        return claim_items(self._session, due, free, limit, values, returning)

    def _give_up_stale(self, now: datetime, max_attempts: int) -> None:
        """Fail pending items out of attempts whose last lease ran out: each attempt ended with
        the process, and claiming them again would never stop."""
        self._session.execute(
            update(Item)
            .where(
                col(Item.archive_status) == ArchiveStatus.pending,
                col(Item.archive_attempts) >= max_attempts,
                col(Item.archive_lease_until) < now,
            )
            .values(
                archive_status=ArchiveStatus.failed,
                archive_error=STALE_ERROR.format(attempts=max_attempts),
                archive_lease_owner=None,
                archive_lease_until=None,
            )
        )

    def done(self, item_id: int, archived_url: str) -> None:
        self._settle(item_id, ArchiveStatus.done, None, archived_url=archived_url)

    def failed(self, item_id: int, error: str) -> None:
        self._settle(item_id, ArchiveStatus.failed, error)

    def retry(self, item_id: int, error: str, at: datetime) -> None:
        """Pending again from ``at`` on, the error kept for ``items list``."""
        self._settle(item_id, ArchiveStatus.pending, error, archive_next_at=at)

    def _settle(
        self, item_id: int, status: ArchiveStatus, error: str | None, **values: object
    ) -> None:
        self._session.execute(
            update(Item)
            .where(col(Item.id) == item_id)
            .values(
                archive_status=status,
                archive_error=error,
                archive_lease_owner=None,
                archive_lease_until=None,
                updated_at=utcnow(),
                **values,
            )
        )
