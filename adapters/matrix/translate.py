"""Matrix room events (client-server API JSON) -> platform-neutral ``bot.events``.

Pure functions over the event dicts a ``/sync`` timeline or ``/messages`` page holds. Anything
that is not the documented shape raises :class:`MalformedEvent` and nothing else.

- ``m.room.message`` (``m.text``, ``m.notice``, ``m.emote``) -> ``MessagePosted``. The text is
  the plain ``body`` plus the link targets of the HTML ``formatted_body`` (a link's label may
  hide its URL). A reply's quoted fallback (``> <@user> …`` in the body, ``<mx-reply>`` in the
  HTML) is dropped: it repeats the message replied to, whose links are not the replier's.
- A thread message (``rel_type: m.thread``) has its thread root as ``thread_parent``; a reply
  (``m.in_reply_to``, unless it is only a thread's fallback) has the message it replies to.
- An edit (``rel_type: m.replace``) -> ``MessageEdited`` of the original, with
  ``m.new_content`` (the newest edit wins by ``origin_server_ts``).
- ``m.reaction`` (``rel_type: m.annotation``) -> ``ReactionAdded`` with the annotation's key.
- ``m.room.redaction`` -> ``ReactionRemoved`` when it redacts a reaction the caller knows
  (``reactions``), else ``MessageDeleted``.

Event ids are globally unique from room version 3 on, so ``matrix:<event id>`` is the neutral
``event_id`` of each fact, and a message's id is its event id. The bot's own events are None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from bot.events import (
    Author,
    ChatEvent,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)

PLATFORM = "matrix"
TEXT_TYPES = frozenset({"m.text", "m.notice", "m.emote"})
MATRIX_TO = "https://matrix.to/#/"


class MalformedEvent(ValueError):
    """An event that does not have the shape the Matrix spec gives its type."""


@dataclass(frozen=True, slots=True)
class ReactionKey:
    """What a reaction event annotated: enough to undo it when it is redacted."""

    message_id: str
    user: str  # a Matrix user id
    emoji: str


@dataclass(frozen=True, slots=True)
class RoomView:
    """What translating a room's events needs besides the events themselves."""

    channel: str  # ``matrix:<room>`` as the config writes it (a room id, or the alias)
    room_id: str
    own_user: str  # the bot's user id: its events are ignored
    author: Callable[[str], Author]  # a user id -> the Author (display name, power roles)
    reactions: Mapping[str, ReactionKey]  # known reaction event ids


def ref(ident: str) -> str:
    return f"{PLATFORM}:{ident}"


def translate(event: Any, room: RoomView) -> ChatEvent | None:
    """The neutral event for one room event, or None for anything Linkletter ignores."""
    data = _mapping(event, "event")
    kind = _str(data, "type")
    if _str(data, "sender") == room.own_user or "state_key" in data:
        return None
    if kind == "m.room.message":
        return _message(data, room)
    if kind == "m.reaction":
        return _reaction(data, room)
    if kind == "m.room.redaction":
        return _redaction(data, room)
    return None


def reaction_key(event: Any) -> tuple[str, ReactionKey] | None:
    """(reaction event id, what it annotated) for an ``m.reaction`` event, else None."""
    data = _mapping(event, "event")
    if data.get("type") != "m.reaction":
        return None
    relation = _relation(_content(data))
    if relation is None or relation.get("rel_type") != "m.annotation":
        return None
    target, key = _str(relation, "event_id"), _str(relation, "key")
    return _str(data, "event_id"), ReactionKey(target, _str(data, "sender"), key)


def timestamp(data: Mapping[str, Any]) -> datetime:
    value = data.get("origin_server_ts")
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent("origin_server_ts is not an integer")
    return datetime.fromtimestamp(value / 1000, UTC)


def message_text(content: Mapping[str, Any]) -> str:
    """The body without a reply's quoted fallback, then the HTML's link targets not in it."""
    body = _strip_reply_fallback(_str(content, "body"))
    html = content.get("formatted_body")
    if content.get("format") != "org.matrix.custom.html" or not isinstance(html, str):
        return body
    links = [url for url in _LinkFinder.links(html) if url not in body]
    return "\n".join([body, *links]) if links else body


def _message(data: Mapping[str, Any], room: RoomView) -> MessagePosted | MessageEdited | None:
    content = _content(data)
    relation = _relation(content)
    if relation is not None and relation.get("rel_type") == "m.replace":
        return _edit(data, relation, room)
    if content.get("msgtype") not in TEXT_TYPES:
        return None  # images, files, polls: no text to capture links from
    event_id = _str(data, "event_id")
    author = room.author(_str(data, "sender"))
    if content.get("msgtype") == "m.notice":  # by convention, what bots post
        author = Author(author.id, author.name, author.roles, is_bot=True)
    return MessagePosted(
        event_id=ref(event_id),
        channel=room.channel,
        message_id=event_id,
        author=author,
        text=message_text(content),
        at=timestamp(data),
        thread_parent=_thread_parent(relation),
        permalink=f"{MATRIX_TO}{room.room_id}/{event_id}",
    )


def _edit(
    data: Mapping[str, Any], relation: Mapping[str, Any], room: RoomView
) -> MessageEdited | None:
    new_content = _mapping(_content(data).get("m.new_content"), "m.new_content")
    if new_content.get("msgtype") not in TEXT_TYPES:
        return None
    return MessageEdited(
        event_id=ref(_str(data, "event_id")),
        channel=room.channel,
        message_id=_str(relation, "event_id"),
        text=message_text(new_content),
        edited_at=timestamp(data),
        author=room.author(_str(data, "sender")),
    )


def _reaction(data: Mapping[str, Any], room: RoomView) -> ReactionAdded | None:
    found = reaction_key(data)
    if found is None:
        return None
    event_id, key = found
    return ReactionAdded(
        event_id=ref(event_id),
        channel=room.channel,
        message_id=key.message_id,
        user=room.author(key.user),
        emoji=key.emoji,
        at=timestamp(data),
    )


def _redaction(data: Mapping[str, Any], room: RoomView) -> MessageDeleted | ReactionRemoved:
    # Room versions up to 10 put ``redacts`` at the top level, version 11 in the content.
    redacts = data.get("redacts") or _content(data).get("redacts")
    if not isinstance(redacts, str) or not redacts:
        raise MalformedEvent("a redaction without redacts")
    event_id, at = ref(_str(data, "event_id")), timestamp(data)
    reaction = room.reactions.get(redacts)
    if reaction is not None:
        return ReactionRemoved(
            event_id=event_id,
            channel=room.channel,
            message_id=reaction.message_id,
            user=room.author(reaction.user),
            emoji=reaction.emoji,
            at=at,
        )
    return MessageDeleted(event_id=event_id, channel=room.channel, message_id=redacts, at=at)


def _thread_parent(relation: Mapping[str, Any] | None) -> str | None:
    if relation is None:
        return None
    reply = relation.get("m.in_reply_to")
    in_thread = relation.get("rel_type") == "m.thread"
    if isinstance(reply, Mapping) and not (in_thread and relation.get("is_falling_back")):
        return _str(reply, "event_id")
    return _str(relation, "event_id") if in_thread else None


def _strip_reply_fallback(body: str) -> str:
    """A reply's body starts with the quoted original (``> `` lines) and a blank line."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> <"):
        return body
    rest = 0
    while rest < len(lines) and lines[rest].startswith(">"):
        rest += 1
    return "\n".join(lines[rest:]).lstrip("\n")


class _LinkFinder(HTMLParser):
    """The ``href`` of every ``<a>`` outside ``<mx-reply>`` (a reply's quoted original)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_reply = 0

    @classmethod
    def links(cls, html: str) -> list[str]:
        finder = cls()
        finder.feed(html)
        finder.close()
        return [url for url in finder.found if not url.startswith(MATRIX_TO)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mx-reply":
            self._in_reply += 1
        elif tag == "a" and not self._in_reply:
            href = dict(attrs).get("href")
            if href and href not in self.found:
                self.found.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "mx-reply" and self._in_reply:
            self._in_reply -= 1


def _content(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(data.get("content"), "content")


def _relation(content: Mapping[str, Any]) -> Mapping[str, Any] | None:
    relation = content.get("m.relates_to")
    return None if relation is None else _mapping(relation, "m.relates_to")


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{what} is not an object")
    return value


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise MalformedEvent(f"{key} is missing or not a string")
    return value
