"""Platform-neutral chat events.

Adapters (each chat platform's, its history exports, the demo) translate platform payloads into
these small frozen types; everything after that is platform-blind. Identity is always written
``platform:id`` (the platform's registered name, then its own id: ``bot.platforms``) so one
string names a channel or a user everywhere.

Every event carries ``event_id``: a key that is the same each time the platform (or a replay)
delivers the same fact, so the core can drop redeliveries durably.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Unfurl:
    """What the chat platform's own link preview said about a URL (a metadata fallback)."""

    url: str
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    site_name: str | None = None


@dataclass(frozen=True, slots=True)
class Author:
    """Who did something: ``platform:user`` plus what is needed to decide editor rights."""

    id: str
    name: str | None = None
    roles: tuple[str, ...] = ()
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class MessagePosted:
    """A new message (or thread reply) in a channel.

    ``thread_parent`` is the platform message id of the message this one replies to (the
    platform's thread parent, reply reference or thread starter: each adapter's ``translate``
    says which), or None for a top-level message.
    """

    event_id: str
    channel: str
    message_id: str
    author: Author
    text: str
    at: datetime
    thread_parent: str | None = None
    unfurls: tuple[Unfurl, ...] = ()
    permalink: str | None = None


@dataclass(frozen=True, slots=True)
class MessageEdited:
    """A message's text changed. ``edited_at`` orders edits: the latest one wins."""

    event_id: str
    channel: str
    message_id: str
    text: str
    edited_at: datetime
    author: Author | None = None
    thread_parent: str | None = None
    unfurls: tuple[Unfurl, ...] = ()


@dataclass(frozen=True, slots=True)
class UnfurlsAdded:
    """The platform attached link previews to a message without changing its text."""

    event_id: str
    channel: str
    message_id: str
    unfurls: tuple[Unfurl, ...]


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    event_id: str
    channel: str
    message_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReactionAdded:
    """``emoji`` is a Unicode emoji or a platform short name; the core normalises it."""

    event_id: str
    channel: str
    message_id: str
    user: Author
    emoji: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReactionRemoved:
    event_id: str
    channel: str
    message_id: str
    user: Author
    emoji: str
    at: datetime


ChatEvent = (
    MessagePosted | MessageEdited | UnfurlsAdded | MessageDeleted | ReactionAdded | ReactionRemoved
)


@dataclass(frozen=True, slots=True)
class AddReaction:
    """Effect: put a receipt reaction on a message (an adapter carries it out)."""

    channel: str
    message_id: str
    emoji: str


@dataclass(frozen=True, slots=True)
class ReplyInThread:
    """Effect: a short reply in the message's thread."""

    channel: str
    message_id: str
    text: str


Effect = AddReaction | ReplyInThread


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling one event did: whether it was new, and what the adapter should do."""

    duplicate: bool = False
    effects: tuple[Effect, ...] = ()
    item_ids: tuple[int, ...] = field(default=())
