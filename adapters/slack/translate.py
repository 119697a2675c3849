"""Slack Events API payloads -> platform-neutral ``bot.events``.

Pure functions, no I/O. They accept the ``event_callback`` envelope (HTTP events, Socket Mode
``events_api`` payloads) or the bare inner event, and history messages from
``conversations.history`` / ``conversations.replies`` (see :func:`history_events`).

Ids: channels ``slack:C…``, users ``slack:U…`` (or ``slack:B…`` for bot posts without a user),
message id = the message ``ts``. ``event_id`` is Slack's envelope ``event_id`` when present,
else a deterministic key built from the fact itself, so a replay of the same fact gets the same key.

Text is passed on as Slack writes it: links as ``<https://x|label>`` or ``<https://x>`` with
``&``, ``<``, ``>`` HTML-escaped, mentions as ``<@U1>``, ``<#C1|name>``, ``<!here>``; the core's
``bot.capture.links`` reads that angle-bracket markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.events import (
    Author,
    ChatEvent,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    Unfurl,
    UnfurlsAdded,
)

PREFIX = "slack:"

# Message subtypes that carry a (possibly link-bearing) message from a person or an integration.
_POSTED_SUBTYPES = frozenset({"thread_broadcast", "file_share", "bot_message", "me_message"})
_TS = re.compile(r"\d{1,12}(\.\d{1,9})?")
_SKIN_TONE = re.compile(r"::skin-tone-\d$")


class MalformedEvent(ValueError):
    """A payload that claims to be an event we handle but lacks what that needs."""

    def __init__(self, event_id: str | None, reason: str) -> None:
        super().__init__(f"malformed Slack event {event_id or '<no event_id>'}: {reason}")
        self.event_id = event_id
        self.reason = reason


def slack_id(raw: str) -> str:
    """``C0123`` -> ``slack:C0123``."""
    return f"{PREFIX}{raw}"


def raw_id(neutral: str) -> str:
    """``slack:C0123`` -> ``C0123`` (refuses ids of other platforms)."""
    if not neutral.startswith(PREFIX):
        raise ValueError(f"not a Slack id: {neutral!r}")
    return neutral.removeprefix(PREFIX)


def base_emoji(reaction: str) -> str:
    """``+1::skin-tone-2`` -> ``+1``: a skin tone does not change what a reaction means."""
    return _SKIN_TONE.sub("", reaction)


def is_slack_ts(value: object) -> bool:
    return isinstance(value, str) and _TS.fullmatch(value) is not None


def ts_key(ts: str) -> tuple[int, int]:
    """A sort key for Slack's ``"seconds.micros"`` positions: exact, where ``float()`` rounds;
    an unreadable one sorts first."""
    seconds, _, fraction = ts.partition(".")
    if not (seconds.isdigit() and (fraction.isdigit() or not fraction)) or len(fraction) > 6:
        return (-1, 0)
    return int(seconds), int(fraction.ljust(6, "0"))


def ts_to_datetime(ts: str) -> datetime:
    """Slack's ``"1663969334.001500"`` -> an aware UTC datetime."""
    seconds, _, fraction = ts.partition(".")
    micros = int((fraction + "000000")[:6])
    return datetime.fromtimestamp(int(seconds), tz=UTC).replace(microsecond=micros)


def translate(payload: object) -> ChatEvent | None:
    """One Events API payload -> one neutral event, or None for events Linkletter ignores.

    Raises :class:`MalformedEvent` (and nothing else) when the payload is not usable.
    """
    if not isinstance(payload, Mapping):
        raise MalformedEvent(None, "payload is not an object")
    envelope_id = payload.get("event_id")
    event_id = envelope_id if isinstance(envelope_id, str) and envelope_id else None
    inner = payload.get("event", payload) if payload.get("type") == "event_callback" else payload
    if not isinstance(inner, Mapping):
        raise MalformedEvent(event_id, "event is not an object")
    return _Reader(inner, event_id).event()


def history_events(channel: str, message: Mapping[str, Any]) -> Iterator[ChatEvent]:
    """A ``conversations.history``/``.replies`` message -> its post plus one event per reaction.

    ``channel`` is the raw Slack channel id. Keys are deterministic, so a replay is a duplicate.
    """
    posted = _Reader({**message, "channel": channel}, None).message_event()
    if not isinstance(posted, MessagePosted):
        return
    yield posted
    for reaction in _list(message.get("reactions")):
        if not isinstance(reaction, Mapping) or not isinstance(reaction.get("name"), str):
            continue
        for user in _list(reaction.get("users")):
            if isinstance(user, str):
                yield _reaction(
                    ReactionAdded,
                    "reaction_added",
                    None,
                    channel,
                    posted.message_id,
                    user,
                    reaction["name"],
                    posted.at,
                )


def message_event(channel: str, message: Mapping[str, Any]) -> MessagePosted:
    """A message object (e.g. from a message shortcut) -> MessagePosted with a deterministic key."""
    return _Reader({**message, "channel": channel}, None).posted()


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _reaction(
    kind: type[ReactionAdded] | type[ReactionRemoved],
    type_: str,
    event_id: str | None,
    channel: str,
    ts: str,
    user: str,
    reaction: str,
    at: datetime,
) -> ReactionAdded | ReactionRemoved:
    emoji = base_emoji(reaction)
    key = event_id or f"slack:{type_}:{channel}:{ts}:{user}:{emoji}"
    return kind(
        event_id=key,
        channel=slack_id(channel),
        message_id=ts,
        user=Author(id=slack_id(user)),
        emoji=emoji,
        at=at,
    )


def unfurls_of(message: Mapping[str, Any]) -> tuple[Unfurl, ...]:
    """Slack's link previews (``attachments`` with ``from_url``) as neutral ``Unfurl``s."""
    found: list[Unfurl] = []
    for attachment in _list(message.get("attachments")):
        if not isinstance(attachment, Mapping):
            continue
        url = attachment.get("from_url")
        if not isinstance(url, str) or not url:
            continue
        found.append(
            Unfurl(
                url=url,
                title=_opt_str(attachment.get("title")),
                description=_opt_str(attachment.get("text")),
                image_url=(
                    _opt_str(attachment.get("image_url")) or _opt_str(attachment.get("thumb_url"))
                ),
                site_name=_opt_str(attachment.get("service_name")),
            )
        )
    return tuple(found)


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def display_name(user: Mapping[str, Any]) -> str | None:
    """Slack's order: the profile's display name, then the real name, then the user name.

    Takes a ``users.info`` / ``user_change`` user object or a message's flat ``user_profile``.
    """
    profile = user.get("profile")
    sources = [profile, user] if isinstance(profile, Mapping) else [user]
    for key in ("display_name", "real_name"):
        for source in sources:
            if found := _opt_str(_strip(source.get(key))):
                return found
    return _opt_str(_strip(user.get("name")))


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class _Reader:
    """Reads one inner event, raising MalformedEvent that names the envelope's event id."""

    def __init__(self, event: Mapping[str, Any], event_id: str | None) -> None:
        self.data = event
        self.event_id = event_id

    def fail(self, reason: str) -> MalformedEvent:
        return MalformedEvent(self.event_id, reason)

    def text(self, source: Mapping[str, Any], key: str) -> str:
        value = source.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{key!r} missing or not a string")
        return value

    def ts(self, source: Mapping[str, Any], key: str) -> str:
        value = self.text(source, key)
        if not _TS.fullmatch(value):
            raise self.fail(f"{key!r} is not a Slack timestamp: {value!r}")
        return value

    def at(self, ts: str) -> datetime:
        try:
            return ts_to_datetime(ts)
        except (OverflowError, ValueError, OSError) as error:
            raise self.fail(f"timestamp {ts!r} out of range") from error

    def message(self, key: str) -> Mapping[str, Any]:
        value = self.data.get(key)
        if not isinstance(value, Mapping):
            raise self.fail(f"{key!r} missing or not an object")
        return value

    def event(self) -> ChatEvent | None:
        kind = self.data.get("type")
        if kind == "message":
            return self.message_event()
        if kind in ("reaction_added", "reaction_removed"):
            return self.reaction_event(kind)
        return None

    def message_event(self) -> ChatEvent | None:
        subtype = self.data.get("subtype")
        if subtype == "message_changed":
            return self.changed()
        if subtype == "message_deleted":
            return self.deleted(self.ts(self.data, "deleted_ts"))
        if subtype is None or (isinstance(subtype, str) and subtype in _POSTED_SUBTYPES):
            return self.posted()
        return None

    def author(self, message: Mapping[str, Any]) -> Author:
        user = message.get("user")
        bot = message.get("bot_id")
        is_bot = bool(bot) or message.get("subtype") == "bot_message"
        who = user if isinstance(user, str) and user else bot
        if not isinstance(who, str) or not who:
            raise self.fail("message has neither 'user' nor 'bot_id'")
        profile = message.get("user_profile")
        name = display_name(profile) if isinstance(profile, Mapping) else None
        name = name or _opt_str(message.get("username"))
        return Author(id=slack_id(who), name=name, is_bot=is_bot)

    def thread_parent(self, message: Mapping[str, Any], ts: str) -> str | None:
        parent = message.get("thread_ts")
        if parent is None or parent == ts:
            return None
        if not isinstance(parent, str) or not _TS.fullmatch(parent):
            raise self.fail("'thread_ts' is not a Slack timestamp")
        return parent

    def body_text(self, message: Mapping[str, Any]) -> str:
        text = message.get("text", "")
        if not isinstance(text, str):
            raise self.fail("'text' is not a string")
        return text

    def posted(self) -> MessagePosted:
        channel = self.text(self.data, "channel")
        ts = self.ts(self.data, "ts")
        return MessagePosted(
            event_id=self.event_id or f"slack:message:{channel}:{ts}",
            channel=slack_id(channel),
            message_id=ts,
            author=self.author(self.data),
            text=self.body_text(self.data),
            at=self.at(ts),
            thread_parent=self.thread_parent(self.data, ts),
            unfurls=unfurls_of(self.data),
            permalink=_opt_str(self.data.get("permalink")),
        )

    def changed(self) -> ChatEvent:
        channel = self.text(self.data, "channel")
        new = self.message("message")
        ts = self.ts(new, "ts")
        if new.get("subtype") == "tombstone":
            return self.deleted(ts)
        edited = new.get("edited")
        edit_ts = self.ts(edited, "ts") if isinstance(edited, Mapping) else self.ts(self.data, "ts")
        text = self.body_text(new)
        previous = self.data.get("previous_message")
        unfurls = unfurls_of(new)
        if isinstance(previous, Mapping) and previous.get("text", "") == text:
            return UnfurlsAdded(
                event_id=self.event_id or f"slack:unfurls:{channel}:{ts}:{edit_ts}",
                channel=slack_id(channel),
                message_id=ts,
                unfurls=unfurls,
            )
        return MessageEdited(
            event_id=self.event_id or f"slack:message_changed:{channel}:{ts}:{edit_ts}",
            channel=slack_id(channel),
            message_id=ts,
            text=text,
            edited_at=self.at(edit_ts),
            author=self.author(new) if "user" in new or "bot_id" in new else None,
            thread_parent=self.thread_parent(new, ts),
            unfurls=unfurls,
        )

    def deleted(self, deleted_ts: str) -> MessageDeleted:
        channel = self.text(self.data, "channel")
        at_ts = self.data.get("event_ts", self.data.get("ts"))
        at = self.at(at_ts if isinstance(at_ts, str) and _TS.fullmatch(at_ts) else deleted_ts)
        return MessageDeleted(
            event_id=self.event_id or f"slack:message_deleted:{channel}:{deleted_ts}",
            channel=slack_id(channel),
            message_id=deleted_ts,
            at=at,
        )

    def reaction_event(self, kind: str) -> ReactionAdded | ReactionRemoved | None:
        item = self.message("item")
        if item.get("type", "message") != "message":
            return None  # reactions on files and file comments carry no message to vote on
        event_class = ReactionAdded if kind == "reaction_added" else ReactionRemoved
        ts = self.ts(item, "ts")
        event_ts = self.data.get("event_ts")
        when = event_ts if isinstance(event_ts, str) and _TS.fullmatch(event_ts) else ts
        return _reaction(
            event_class,
            kind,
            self.event_id,
            self.text(item, "channel"),
            ts,
            self.text(self.data, "user"),
            self.text(self.data, "reaction"),
            self.at(when),
        )
