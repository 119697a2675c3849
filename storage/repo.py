"""Queries. Everything that speaks SQL lives here; a unit of work (``storage.unit``) gives each
repository its session (one transaction), which stays private to it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    RowMapping,
    Select,
    Table,
    bindparam,
    func,
    or_,
    update,
)
from sqlalchemy import Row as SqlRow
from sqlalchemy import select as select_columns
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import attributes
from sqlmodel import Session, col, select

from storage.engagement import EngagementQueries
from storage.history import HistoryQueries
from storage.models import (
    Checkpoint,
    Decision,
    DigestState,
    EnrichStatus,
    Issue,
    Item,
    ItemStatus,
    Message,
    Person,
    Reaction,
    Share,
    utcnow,
)
from storage.search import SearchQueries

# What ``items list`` shows (bot.cli.items.item_record): main_text and the queue's lease fields
# stay in the database.
ITEM_LISTED = (
    "id", "digest", "url", "canonical_url", "title", "title_override", "unfurl_title",
    "summary", "summary_override", "summary_source", "section", "section_source", "status",
    "why", "note", "votes", "featured", "word_count", "site_name", "enrich_status",
    "enrich_error", "enrich_attempts", "assist_error", "suggested_section", "suggested_why",
    "first_shared_at", "published_issue_id", "reactor_count", "reply_count", "participant_count",
    "channel_count", "platform_count", "archived_url", "archive_status", "archive_error",
    "archive_attempts",
)  # fmt: skip
SHARE_LISTED = ("id", "channel", "user", "user_name", "message_id", "shared_at", "active")
LISTING_BATCH = 1000
IN_CHUNK = 5000  # values per IN list: far below PostgreSQL's 65,535 bind parameters a statement
V = TypeVar("V")
Row = RowMapping  # a row of a listing, read by column name (``items list``)
Record = SqlRow[Any]  # a plain row read by attribute, like the model's object but not one
ITEMS: Table = Item.__table__  # type: ignore[attr-defined]  # SQLModel sets it
SHARES: Table = Share.__table__  # type: ignore[attr-defined]
ISSUES: Table = Issue.__table__  # type: ignore[attr-defined]
MESSAGES: Table = Message.__table__  # type: ignore[attr-defined]
REACTIONS: Table = Reaction.__table__  # type: ignore[attr-defined]
DECISIONS: Table = Decision.__table__  # type: ignore[attr-defined]
# the WHERE of ``update_items`` (not named after a column: each is a parameter there too)
ITEM_ID: BindParameter[int] = bindparam("item_id_")


def chunked(values: Iterable[V]) -> Iterator[list[V]]:
    """``values`` in lists of at most ``IN_CHUNK``: a query each, for ``IN`` lists of any length."""
    pending, size = list(values), IN_CHUNK
    for start in range(0, len(pending), size):
        yield pending[start : start + size]


def claim_items(
    session: Session,
    due: Sequence[ColumnElement[bool]],
    free: ColumnElement[bool],
    limit: int,
    values: dict[str, Any],
    returning: tuple[Any, Any],  # the URL's and the attempts' columns (mapped or SQL)
) -> list[tuple[int, str, int]]:
    """Lease up to ``limit`` items that are ``due`` and whose lease is ``free`` (a queue's
    claim: enrichment, archiving), setting ``values``; (id, *returning) of each, in id order.

    One UPDATE … RETURNING whose WHERE re-checks the lease, so two workers can never both win
    a row (on PostgreSQL the candidate rows are also locked with SKIP LOCKED).
    """
    candidates = select(Item.id).where(*due, free).order_by(col(Item.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(Item)
        .where(col(Item.id).in_(candidates.scalar_subquery()), free)
        .values(**values)
        .returning(col(Item.id), *returning)
    ).all()
    return sorted((item_id, url, attempts) for item_id, url, attempts in claimed)


def insert_ignore(session: Session, model: Any, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL; True when a row was written.

    RETURNING tells reliably whether the row went in (``rowcount`` does not on every driver).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    key = next(iter(table.primary_key.columns))
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(statement).first() is not None


class Repo(HistoryQueries, EngagementQueries, SearchQueries):
    """The queries of one unit of work (issue 21's are in storage.history, .engagement and
    .search)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # --- messages and reactions (the ingest's own lookups are in ``storage.facts``) ---------
    def messages(self, keys: Iterable[tuple[str, str]]) -> list[Message]:
        wanted = set(keys)
        if not wanted:
            return []
        ids = {message_id for _, message_id in wanted}
        rows = [
            row
            for chunk in chunked(ids)
            for row in self._session.exec(select(Message).where(col(Message.message_id).in_(chunk)))
        ]
        return [row for row in rows if (row.channel, row.message_id) in wanted]

    def reactions(self, keys: Iterable[tuple[str, str]]) -> list[Reaction]:
        """Reactions on these (channel, message id) messages, the removed ones too (their rows
        order a later add or remove)."""
        wanted = set(keys)
        if not wanted:
            return []
        rows = [
            row
            for chunk in chunked({message_id for _, message_id in wanted})
            for row in self._session.exec(
                select(Reaction).where(col(Reaction.message_id).in_(chunk))
            )
        ]
        return [row for row in rows if (row.channel, row.message_id) in wanted]

    # --- plain rows, for reading many items' facts (``bot.capture.ingest.items_facts``) ----
    def _records(
        self, query: Select[Any], column: ColumnElement[Any], values: Iterable[Any]
    ) -> list[Record]:
        """``query``'s rows whose ``column`` is one of ``values``: plain rows, no ORM objects
        (building one costs ten times reading its row), an ``IN`` list per chunk."""
        return [
            row
            for chunk in chunked(set(values))
            for row in self._session.execute(query.where(column.in_(chunk)))
        ]

    def _records_on(
        self, query: Select[Any], column: ColumnElement[str], keys: Iterable[tuple[str, str]]
    ) -> list[Record]:
        """``query``'s rows whose (channel, ``column``) is one of these (channel, message id)
        keys: the ``IN`` lists name the ids, and the channel is checked on the rows (a message
        id is unique only within its channel)."""
        wanted = set(keys)
        rows = self._records(query, column, (message_id for _, message_id in wanted))
        return [row for row in rows if (row.channel, row._mapping[column]) in wanted]

    def item_records(self, item_ids: Iterable[int], columns: Sequence[str]) -> list[Record]:
        """These items' ``columns`` (and id), in id order."""
        query = select_columns(ITEMS.c.id, *(ITEMS.c[name] for name in columns))
        return sorted(self._records(query, ITEMS.c.id, item_ids), key=lambda row: row.id)

    def share_records(self, item_ids: Iterable[int]) -> list[Record]:
        """Every share of these items, in id order."""
        query = select_columns(SHARES).order_by(SHARES.c.id)
        return self._records(query, SHARES.c.item_id, item_ids)

    def message_records(self, keys: Iterable[tuple[str, str]]) -> list[Record]:
        """The stored messages of these (channel, message id) keys."""
        return self._records_on(select_columns(MESSAGES), MESSAGES.c.message_id, keys)

    def replies_to(self, parents: Iterable[tuple[str, str]]) -> list[Record]:
        """Live thread replies to any of these (channel, message id) messages."""
        query = select_columns(MESSAGES).where(MESSAGES.c.deleted.is_(False))
        return self._records_on(query, MESSAGES.c.thread_parent, parents)

    def reaction_records(self, keys: Iterable[tuple[str, str]]) -> list[Record]:
        """The present reactions on these (channel, message id) messages."""
        query = select_columns(REACTIONS).where(REACTIONS.c.present.is_(True))
        return self._records_on(query, REACTIONS.c.message_id, keys)

    def decisions_of_items(self, item_ids: Iterable[int]) -> list[Record]:
        """These items' decisions, oldest first."""
        rows = self._records(select_columns(DECISIONS), DECISIONS.c.item_id, item_ids)
        return sorted(rows, key=lambda decision: decision.at)

    def update_items(self, changes: dict[int, dict[str, Any]]) -> None:
        """Set each item's changed columns: one executemany per set of columns changed (an
        UPDATE names only those, as the ORM's flush does, so the search triggers on them fire
        only when they did). Objects of these items the session holds get the new values."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for item_id, values in changes.items():
            by_columns.setdefault(tuple(values), []).append({"item_id_": item_id, **values})
        for columns, rows in by_columns.items():
            statement = update(ITEMS).where(ITEMS.c.id == ITEM_ID)
            statement = statement.values({name: bindparam(name) for name in columns})
            self._session.execute(statement, rows)
        held = self._session.identity_map
        for item_id, values in changes.items():
            item = held.get(self._session.identity_key(Item, item_id))
            for name, value in values.items() if item is not None else ():
                attributes.set_committed_value(item, name, value)

    # --- items and shares -------------------------------------------------------------------
    def item(self, item_id: int) -> Item | None:
        return self._session.get(Item, item_id)

    def items_by_id(self, item_ids: Sequence[int]) -> list[Item]:
        return [
            row
            for chunk in chunked(item_ids)
            for row in self._session.exec(select(Item).where(col(Item.id).in_(chunk)))
        ]

    def item_by_url(self, digest: str, canonical_url: str) -> Item | None:
        return self._session.exec(
            select(Item).where(Item.digest == digest, Item.canonical_url == canonical_url)
        ).first()

    def shares_of_item(self, item_id: int) -> list[Share]:
        return list(self._session.exec(select(Share).where(Share.item_id == item_id)).all())

    def shares_of_items(self, item_ids: Sequence[int]) -> list[Share]:
        return [
            row
            for chunk in chunked(item_ids)
            for row in self._session.exec(select(Share).where(col(Share.item_id).in_(chunk)))
        ]

    def move_decisions(self, source_id: int, target_id: int) -> None:
        self._session.execute(
            update(Decision).where(col(Decision.item_id) == source_id).values(item_id=target_id)
        )

    def add(self, row: Any) -> None:
        self._session.add(row)

    def flush(self) -> None:
        self._session.flush()

    def items(
        self,
        digest: str | None = None,
        statuses: Sequence[str] | None = None,
        shared_by: str | None = None,
        limit: int | None = None,
    ) -> list[Item]:
        query = select(Item).where(col(Item.merged_into).is_(None))
        if digest:
            query = query.where(Item.digest == digest)
        if statuses:
            query = query.where(col(Item.status).in_(statuses))
        if shared_by:
            query = query.where(Item.first_shared_by == shared_by)
        query = query.order_by(col(Item.first_shared_at), col(Item.id))
        if limit:
            query = query.limit(limit)
        return list(self._session.exec(query).all())

    def item_listing(
        self, digest: str | None = None, statuses: Sequence[str] | None = None
    ) -> Iterator[tuple[Row, list[Row]]]:
        """Every listed item (the order of :meth:`items`) with its shares, as plain rows.

        One LEFT JOIN read in batches of ``LISTING_BATCH`` rows (a server-side cursor on
        PostgreSQL): linear in items and shares, no ``IN`` list, nothing held but one item's
        rows. Share columns come prefixed ``share_``; an item without shares gets ``[]``. The
        issue it was published in comes as ``issue_number`` and ``issue_date`` (or None).
        """
        items, shares, issues = ITEMS, SHARES, ISSUES
        share_columns = [shares.c[name].label(f"share_{name}") for name in SHARE_LISTED]
        issue_columns = [
            issues.c.number.label("issue_number"),
            func.coalesce(issues.c.published_at, issues.c.created_at).label("issue_date"),
        ]
        joined = items.outerjoin(shares, shares.c.item_id == items.c.id).outerjoin(
            issues, issues.c.id == items.c.published_issue_id
        )
        query = (
            select_columns(*(items.c[name] for name in ITEM_LISTED), *share_columns, *issue_columns)
            .select_from(joined)
            .where(items.c.merged_into.is_(None))
        )
        if digest:
            query = query.where(items.c.digest == digest)
        if statuses:
            query = query.where(items.c.status.in_(statuses))
        query = query.order_by(items.c.first_shared_at, items.c.id, shares.c.id)
        result = self._session.execute(query.execution_options(yield_per=LISTING_BATCH))
        for _, group in groupby(result.mappings(), key=lambda row: row["id"]):
            rows = list(group)
            yield rows[0], [row for row in rows if row["share_id"] is not None]

    def count_by_status(self, digest: str | None = None) -> dict[str, int]:
        query = select(Item.status, func.count()).where(col(Item.merged_into).is_(None))
        if digest:
            query = query.where(Item.digest == digest)
        rows = self._session.exec(query.group_by(Item.status)).all()
        return dict(rows)

    def ready_for_issue(self, digest: str) -> list[Item]:
        """Approved items of a digest (uses ix_item_digest_status): not yet in a published
        issue, or approved again by an editor after theirs came out (revisited)."""
        return list(
            self._session.exec(
                select(Item).where(
                    Item.digest == digest,
                    Item.status == ItemStatus.approved,
                    col(Item.merged_into).is_(None),
                )
            ).all()
        )

    def shared_before(self, digest: str, moment: datetime) -> bool:
        """Whether the digest collected anything before ``moment`` (was it live then?)."""
        found = self._session.exec(
            select(Item.id)
            .where(Item.digest == digest, col(Item.first_shared_at) < moment)
            .limit(1)
        ).first()
        return found is not None

    def why_suggestions(self, digest: str) -> list[tuple[int, str]]:
        """(item id, suggested why) for approved items that have no why of their own."""
        return [
            (item.id or 0, item.suggested_why or "")
            for item in self.ready_for_issue(digest)
            if item.suggested_why and not item.why
        ]

    def sharer_names(self, item_ids: Sequence[int]) -> dict[int, str]:
        """The display name of each item's first active sharer."""
        names: dict[int, str] = {}
        for share in sorted(
            self.shares_of_items(item_ids), key=lambda s: (s.shared_at is None, s.shared_at, s.id)
        ):
            if share.active and share.user_name and share.item_id not in names:
                names[share.item_id] = share.user_name
        return names

    # --- people -----------------------------------------------------------------------------
    def person_names(self, users: Iterable[str]) -> dict[str, str]:
        """The stored display name of each of ``users`` that has one."""
        wanted = set(users)
        if not wanted:
            return {}
        rows = self._session.exec(select(Person).where(col(Person.user).in_(wanted))).all()
        return {row.user: row.name for row in rows}

    def save_person_name(self, user: str, name: str) -> None:
        """Store ``user``'s display name and put it on their earlier messages and shares (a
        name resolved late, or a rename), unless it is already stored."""
        row = self._session.get(Person, user)
        if row is not None and row.name == name:
            return
        if row is None:
            values = {"user": user, "name": name, "updated_at": utcnow()}
            insert_ignore(self._session, Person, values)
        else:
            row.name, row.updated_at = name, utcnow()
        stale_share = or_(col(Share.user_name).is_(None), col(Share.user_name) != name)
        self._session.execute(
            update(Share).where(col(Share.user) == user, stale_share).values(user_name=name)
        )
        stale_message = or_(col(Message.author_name).is_(None), col(Message.author_name) != name)
        self._session.execute(
            update(Message)
            .where(col(Message.author) == user, stale_message)
            .values(author_name=name)
        )

    # --- checkpoints and digest state -------------------------------------------------------
    def checkpoint(self, channel: str) -> str | None:
        row = self._session.get(Checkpoint, channel)
        return row.position if row else None

    def save_checkpoint(self, channel: str, position: str, later: Callable[[str], Any]) -> None:
        """Move the channel's checkpoint to ``position`` unless it is already further on.

        ``later`` is the sort key of the channel's positions (its platform's ``position_key``;
        storage does not know how a platform numbers its messages)."""
        row = self._session.get(Checkpoint, channel)
        if row is None:
            insert_ignore(
                self._session,
                Checkpoint,
                {"channel": channel, "position": position, "updated_at": utcnow()},
            )
            row = self._session.get(Checkpoint, channel)
            assert row is not None
        if later(position) >= later(row.position):
            row.position, row.updated_at = position, utcnow()

    def digest_state(self, digest: str) -> DigestState:
        row = self._session.get(DigestState, digest)
        if row is None:
            insert_ignore(self._session, DigestState, {"digest": digest})
            row = self._session.get(DigestState, digest)
            assert row is not None
        return row

    # --- enrichment queue -------------------------------------------------------------------
    def claim_for_enrichment(
        self, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[tuple[int, str, int]]:
        """Lease up to ``limit`` items that need fetching; other workers skip leased rows.
        Returns (id, url, attempts) of each, read by the UPDATE itself; the claim counts the
        attempt (so a page whose attempts never finish still runs out of them).

        The lease as :func:`claim_items` takes it.
        """
        free = or_(col(Item.enrich_lease_until).is_(None), col(Item.enrich_lease_until) < now)
        due = (
            col(Item.enrich_status) == EnrichStatus.pending,
            col(Item.merged_into).is_(None),
            or_(col(Item.enrich_next_at).is_(None), col(Item.enrich_next_at) <= now),
        )
        values = {
            "enrich_lease_owner": owner,
            "enrich_lease_until": until,
            "enrich_attempts": col(Item.enrich_attempts) + 1,
        }
        returning = (col(Item.url), col(Item.enrich_attempts))
        return claim_items(self._session, due, free, limit, values, returning)

    def message_count(self) -> int:
        """Chat messages stored (each once, however often it was delivered)."""
        return int(self._session.exec(select(func.count()).select_from(Message)).one())

    def pending_enrichment(self) -> int:
        return int(
            self._session.exec(
                select(func.count())
                .select_from(Item)
                .where(Item.enrich_status == EnrichStatus.pending)
            ).one()
        )
