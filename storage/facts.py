"""The facts one ingest unit (a batch of events, or one) reads and writes, in bulk.

``load`` looks up every processed id, message, share, reaction and item key the unit will need in
a handful of queries; the ingest rules then change them in memory; ``write`` inserts the new rows
with one executemany per table. Rows that existed before are ORM objects, changed in place and
flushed by the session. New rows stay plain records until written, because building an ORM object
and flushing it costs about ten times an executemany row (docs/benchmarks.md, "Ingest"). A new item
has a provisional (negative) id until ``write`` inserts it with the others and reads their ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from storage.models import Item, Message, ProcessedEvent, Reaction, Share, utcnow
from storage.repo import Repo, chunked

MessageKey = tuple[str, str]  # (channel, message id)
ItemKey = tuple[str, str]  # (digest, canonical URL)
ReactionKey = tuple[str, str, str, str]  # (channel, message id, user, emoji)


@dataclass(slots=True, eq=False)
class NewMessage:
    """A ``Message`` first seen in this unit; inserted by ``Facts.write``."""

    channel: str
    message_id: str
    author: str | None = None
    author_name: str | None = None
    author_roles: str = ""
    author_is_bot: bool = False
    text: str = ""
    thread_parent: str | None = None
    posted_at: datetime | None = None
    version_at: datetime | None = None
    seen_post: bool = False
    deleted: bool = False
    permalink: str | None = None


@dataclass(slots=True, eq=False)
class NewItem:
    """An ``Item`` first shared in this unit; inserted by ``Facts.write``."""

    digest: str
    canonical_url: str
    url: str
    unfurl_title: str | None = None
    unfurl_description: str | None = None
    unfurl_image: str | None = None
    unfurl_site: str | None = None


@dataclass(slots=True, eq=False)
class NewShare:
    """A ``Share`` made in this unit; inserted by ``Facts.write``."""

    item_id: int
    channel: str
    message_id: str
    url: str
    user: str | None = None
    user_name: str | None = None
    text: str = ""
    shared_at: datetime | None = None
    active: bool = True


@dataclass(slots=True, eq=False)
class NewReaction:
    """A ``Reaction`` first seen in this unit; inserted by ``Facts.write``."""

    channel: str
    message_id: str
    user: str
    emoji: str
    changed_at: datetime
    user_roles: str = ""
    user_is_bot: bool = False
    present: bool = False


AnyMessage = Message | NewMessage
AnyShare = Share | NewShare
AnyReaction = Reaction | NewReaction
NEW_ROWS: dict[type[Any], Table] = {
    NewMessage: Message.__table__,  # type: ignore[attr-defined]  # SQLModel sets it
    NewShare: Share.__table__,  # type: ignore[attr-defined]
    NewReaction: Reaction.__table__,  # type: ignore[attr-defined]
}
ITEMS: Table = Item.__table__  # type: ignore[attr-defined]
# executemany with RETURNING: one multi-row statement ("insertmanyvalues") on SQLite and PostgreSQL
INSERT_ITEMS = insert(ITEMS).returning(ITEMS.c.id, ITEMS.c.digest, ITEMS.c.canonical_url)


def _row(record: Any) -> dict[str, Any]:
    return {field.name: getattr(record, field.name) for field in fields(record)}


class Facts:
    """Lookups served from what ``load`` fetched (or one query each when it did not), new rows
    kept until ``write``. Valid for one transaction; after ``write``, make a new one."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._processed: set[str] = set()
        self._new_processed: list[str] = []
        self._messages: dict[MessageKey, AnyMessage | None] = {}
        self._shares: dict[MessageKey, list[AnyShare]] = {}
        self._reactions: dict[ReactionKey, AnyReaction] = {}
        self._reactions_of: set[MessageKey] = set()  # messages whose reactions are all loaded
        self._items: dict[ItemKey, tuple[int, int | None] | None] = {}  # (id, merged into)
        self._published: dict[int, int | None] = {}  # item id: the issue it went out in
        self._new: list[NewMessage | NewShare | NewReaction] = []
        self._new_items: list[NewItem] = []  # item -1, -2, … until written
        self._stored: dict[int, int] = {}  # provisional id: the id ``write`` read back

    # --- loading ----------------------------------------------------------------------------
    def load(
        self,
        event_ids: Iterable[str],
        messages: Iterable[MessageKey],
        items: Iterable[ItemKey],
        reacted: Iterable[MessageKey] = (),
    ) -> None:
        """Fetch what a unit of events will ask for: a query per table, not per event.
        ``reacted``: the messages whose reactions will be looked up."""
        for chunk in chunked(set(event_ids)):
            query = select(ProcessedEvent.event_id).where(col(ProcessedEvent.event_id).in_(chunk))
            self._processed.update(self._session.exec(query).all())
        self._load_messages(set(messages))
        self._load_reactions(set(reacted))
        self._load_items(set(items))

    def _load_messages(self, keys: set[MessageKey]) -> None:
        """The messages and their shares (a message not stored yet has none)."""
        keys -= self._messages.keys()
        if not keys:
            return
        self._messages.update(dict.fromkeys(keys))
        self._shares.update({key: [] for key in keys})
        found = set()
        for message in Repo(self._session).messages(keys):
            self._messages[(message.channel, message.message_id)] = message
            found.add(message.message_id)
        for chunk in chunked(found):
            for share in self._session.exec(select(Share).where(col(Share.message_id).in_(chunk))):
                if (share.channel, share.message_id) in keys:
                    self._shares[(share.channel, share.message_id)].append(share)

    def _load_reactions(self, keys: set[MessageKey]) -> None:
        keys -= self._reactions_of
        if not keys:
            return
        self._reactions_of.update(keys)
        for reaction in Repo(self._session).reactions(keys):
            key = (reaction.channel, reaction.message_id, reaction.user, reaction.emoji)
            self._reactions[key] = reaction

    def _load_items(self, keys: set[ItemKey]) -> None:
        keys -= self._items.keys()
        if not keys:
            return
        self._items.update(dict.fromkeys(keys))
        items = ITEMS.c
        query = select_columns(
            items.id, items.digest, items.canonical_url, items.merged_into, items.published_issue_id
        )
        for chunk in chunked({url for _, url in keys}):
            rows = self._session.execute(query.where(items.canonical_url.in_(chunk)))
            for item_id, digest, url, merged_into, published in rows:
                if (digest, url) in keys:
                    self._items[(digest, url)] = (item_id, merged_into)
                    self._published[item_id] = published

    # --- events -----------------------------------------------------------------------------
    def mark_processed(self, event_id: str) -> bool:
        """Record an event id; False when it was applied before (a redelivery). Ids must have
        been ``load``ed: a concurrent writer's duplicate fails the write on the primary key."""
        if event_id in self._processed:
            return False
        self._processed.add(event_id)
        self._new_processed.append(event_id)
        return True

    # --- messages, shares, reactions --------------------------------------------------------
    def message_or_new(self, channel: str, message_id: str) -> AnyMessage:
        key = (channel, message_id)
        self._load_messages({key})
        found = self._messages[key]
        if found is None:
            found = self._messages[key] = NewMessage(channel, message_id)
            self._new.append(found)
        return found

    def shares_of_message(self, channel: str, message_id: str) -> list[AnyShare]:
        self._load_messages({(channel, message_id)})
        return self._shares[(channel, message_id)]

    def share_or_new(self, item_id: int, channel: str, message_id: str, url: str) -> AnyShare:
        """The share of this item by this message, or a new one."""
        known = self.shares_of_message(channel, message_id)
        for share in known:
            if share.item_id == item_id:
                return share
        created = NewShare(item_id, channel, message_id, url)
        known.append(created)
        self._new.append(created)
        return created

    def reaction_or_new(
        self, channel: str, message_id: str, user: str, emoji: str, at: datetime
    ) -> tuple[AnyReaction, bool]:
        """A user's reaction row, and whether this call created it (absent until set)."""
        key = (channel, message_id, user, emoji)
        self._load_reactions({(channel, message_id)})
        found = self._reactions.get(key)
        if found is not None:
            return found, False
        created = NewReaction(channel, message_id, user, emoji, changed_at=at)
        self._reactions[key] = created
        self._new.append(created)
        return created, True

    # --- items ------------------------------------------------------------------------------
    def item_id_for(self, digest: str, canonical_url: str, url: str) -> tuple[int, bool]:
        """The id of the digest's item for this article (the one it was merged into, if any),
        and whether this call created it."""
        key = (digest, canonical_url)
        self._load_items({key})
        found = self._items[key]
        if found is None:
            self._new_items.append(NewItem(digest, canonical_url, url))
            item_id = -len(self._new_items)
            self._items[key] = (item_id, None)
            self._published[item_id] = None
            return item_id, True
        item_id, merged_into = found
        target = self._session.get(Item, merged_into) if merged_into is not None else None
        if target is not None and target.id is not None:
            self._published[target.id] = target.published_issue_id
            return target.id, False
        return item_id, False

    def item(self, item_id: int) -> Item | NewItem | None:
        """The item of an id ``item_id_for`` gave (a new one, until written)."""
        if item_id < 0:
            return self._new_items[-item_id - 1]
        return self._session.get(Item, item_id)

    def stored_id(self, item_id: int) -> int:
        """The id an item ``item_id_for`` gave has in the database (once written)."""
        return self._stored.get(item_id, item_id)

    def published_issue_ids(self, item_ids: Iterable[int]) -> list[int | None]:
        """The issue each of these items (ids ``item_id_for`` gave) was published in, if any."""
        return [self._published[item_id] for item_id in item_ids]

    # --- writing ----------------------------------------------------------------------------
    def write(self) -> None:
        """Insert the unit's new rows: one executemany per table."""
        if self._new_processed:
            now = utcnow()
            self._session.execute(
                insert(ProcessedEvent),
                [{"event_id": event_id, "at": now} for event_id in self._new_processed],
            )
        self._write_items()
        rows: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        for record in self._new:
            if isinstance(record, NewShare):
                record.item_id = self.stored_id(record.item_id)
            rows[NEW_ROWS[type(record)]].append(_row(record))
        for table, values in rows.items():
            self._session.execute(insert(table), values)
        self._new_processed, self._new = [], []

    def _write_items(self) -> None:
        """Insert the new items in the order they were made (numbered as one insert each would
        number them): one multi-row INSERT … RETURNING, whose rows name their keys."""
        if not self._new_items:
            return
        rows = [_row(item) for item in self._new_items]
        ids = {
            (digest, url): item_id
            for item_id, digest, url in self._session.execute(INSERT_ITEMS, rows)
        }
        for number, item in enumerate(self._new_items, start=1):
            key = (item.digest, item.canonical_url)
            self._stored[-number] = ids[key]
            self._items[key] = (ids[key], None)
            self._published[ids[key]] = None
        self._new_items = []
