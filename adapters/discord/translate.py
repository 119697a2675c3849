"""Discord gateway dispatch data -> platform-neutral ``bot.events``.

Pure functions over the ``d`` dicts of MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE /
MESSAGE_REACTION_ADD / MESSAGE_REACTION_REMOVE (and REST message objects, which share the shape).
Anything that is not the documented shape raises :class:`MalformedEvent` and nothing else.

Text is passed on as Discord writes it: ``<https://x>`` is a link whose embed is suppressed,
mentions are ``<@1>``, ``<@&1>``, ``<#1>``; the core's ``bot.capture.links`` reads that
angle-bracket markup.

Threads. A message in a thread has the thread's id as ``channel_id``. For watching and sections
the thread belongs to its parent channel, so the adapter passes ``parent_id`` (the thread's
``parent_id``, from discord.py's cache or one GET /channels/{id}) and the event's ``channel`` is
``discord:<parent>``. Message ids are snowflakes, unique across channels, so nothing collides.
A thread started from a message has the *same id as that message*, so a thread message's
``thread_parent`` is the thread id (unless it explicitly replies to another message). A thread
that was not started from a message (forum posts aside) therefore points at a message the core
never sees; the core keeps such a reply pending, which is harmless.

Event ids (the core drops an ``event_id`` it has seen):

- ``discord:create:<msg>`` and ``discord:delete:<msg>``: each happens once per message.
- ``discord:edit:<msg>:<edited_timestamp>``: each edit has its own timestamp.
- ``discord:unfurl:<msg>:<digest of the unfurled URLs>``: a redelivered embed update repeats.
- ``discord:react+:<msg>:<user>:<emoji>:<delivery>`` (``react-`` for removals). A user can add,
  remove and re-add the same emoji; without an ordering part the second add would be dropped as
  a duplicate. ``delivery`` is ``<gateway session>:<sequence>`` for live events (unique per
  dispatch; a RESUME replays only dispatches not yet received) and ``history`` for reactions
  read back from channel history. A history reaction that was also seen live gets a different
  id, so the core must treat "add a reaction that is already there" as a no-op (reactions are a
  set of (message, user, emoji)); removals that happened while the bot was down are not visible
  in history and are not replayed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.events import (
    Author,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    Unfurl,
    UnfurlsAdded,
)

PLATFORM = "discord"
HISTORY_DELIVERY = "history"

# Message types that are people talking: DEFAULT (0) and REPLY (19). Joins, pins, boosts,
# thread-created notices and the like are system messages and carry no shared links.
USER_MESSAGE_TYPES = frozenset({0, 19})
REPLY_REFERENCE_TYPE = 0  # message_reference.type: 0 = reply/default, 1 = forward


class MalformedEvent(ValueError):
    """A payload that does not have the shape Discord documents for this dispatch."""


def channel_ref(channel_id: str) -> str:
    return f"{PLATFORM}:{channel_id}"


def user_ref(user_id: str) -> str:
    return f"{PLATFORM}:{user_id}"


def role_ref(role_id: str) -> str:
    return f"{PLATFORM}:role:{role_id}"


def message_created(data: Any, *, parent_id: str | None = None) -> MessagePosted | None:
    """A MESSAGE_CREATE (or a REST message from history); None for system messages."""
    message = _mapping(data, "message")
    if _optional_int(message, "type", default=0) not in USER_MESSAGE_TYPES:
        return None
    message_id = _snowflake(message, "id")
    channel_id = _snowflake(message, "channel_id")
    return MessagePosted(
        event_id=f"discord:create:{message_id}",
        channel=channel_ref(parent_id or channel_id),
        message_id=message_id,
        author=author_of(message),
        text=_text_with_forwards(message),
        at=_timestamp(message, "timestamp"),
        thread_parent=_thread_parent(message, channel_id, parent_id),
        unfurls=unfurls_of(message) + tuple(u for m in _forwarded(message) for u in unfurls_of(m)),
        permalink=_permalink(message, channel_id, message_id),
    )


def _forwarded(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The messages a forward carries (``message_snapshots``); a forward has no content itself."""
    snapshots = message.get("message_snapshots") or []
    if not isinstance(snapshots, list):
        raise MalformedEvent("message_snapshots is not a list")
    return [_mapping(_mapping(s, "message snapshot").get("message"), "snapshot") for s in snapshots]


def _text_with_forwards(message: Mapping[str, Any]) -> str:
    texts = [_optional_str(m, "content") for m in [message, *_forwarded(message)]]
    return "\n".join(text for text in texts if text)


def message_updated(
    data: Any, *, parent_id: str | None = None, previous_content: str | None = None
) -> MessageEdited | UnfurlsAdded | None:
    """A MESSAGE_UPDATE: a text edit, link previews arriving, or nothing we care about.

    Discord sends MESSAGE_UPDATE both for edits and when its link previews (embeds) are ready;
    the latter has no ``content`` (older partial form) or an unchanged ``edited_timestamp``
    (null for a never-edited message). ``previous_content`` is the cached text when the adapter
    has it, so an embed-only update after an edit is recognised too.
    """
    message = _mapping(data, "message update")
    message_id = _snowflake(message, "id")
    channel_id = _snowflake(message, "channel_id")
    channel = channel_ref(parent_id or channel_id)
    unfurls = unfurls_of(message)
    content = _optional_str(message, "content")
    edited = message.get("edited_timestamp")
    text_changed = content is not None and edited is not None and content != previous_content
    if text_changed:
        assert content is not None  # narrowed above; mypy cannot see through the bool
        return MessageEdited(
            event_id=f"discord:edit:{message_id}:{edited}",
            channel=channel,
            message_id=message_id,
            text=content,
            edited_at=_timestamp(message, "edited_timestamp"),
            author=author_of(message) if "author" in message else None,
            thread_parent=_thread_parent(message, channel_id, parent_id),
            unfurls=unfurls,
        )
    if not unfurls:
        return None
    return UnfurlsAdded(
        event_id=f"discord:unfurl:{message_id}:{_digest(u.url for u in unfurls)}",
        channel=channel,
        message_id=message_id,
        unfurls=unfurls,
    )


def message_deleted(data: Any, *, at: datetime, parent_id: str | None = None) -> MessageDeleted:
    """A MESSAGE_DELETE; the dispatch has no time, so the adapter passes when it arrived."""
    message = _mapping(data, "message delete")
    message_id = _snowflake(message, "id")
    return MessageDeleted(
        event_id=f"discord:delete:{message_id}",
        channel=channel_ref(parent_id or _snowflake(message, "channel_id")),
        message_id=message_id,
        at=at,
    )


def reaction_added(
    data: Any, *, at: datetime, delivery: str, parent_id: str | None = None
) -> ReactionAdded:
    """A MESSAGE_REACTION_ADD; ``delivery`` orders repeated add/remove (see module doc)."""
    message_id, channel, user, emoji = _reaction_parts(data, parent_id)
    return ReactionAdded(
        event_id=f"discord:react+:{message_id}:{user.id}:{emoji}:{delivery}",
        channel=channel,
        message_id=message_id,
        user=user,
        emoji=emoji,
        at=at,
    )


def reaction_removed(
    data: Any, *, at: datetime, delivery: str, parent_id: str | None = None
) -> ReactionRemoved:
    message_id, channel, user, emoji = _reaction_parts(data, parent_id)
    return ReactionRemoved(
        event_id=f"discord:react-:{message_id}:{user.id}:{emoji}:{delivery}",
        channel=channel,
        message_id=message_id,
        user=user,
        emoji=emoji,
        at=at,
    )


def author_of(message: Mapping[str, Any]) -> Author:
    """The message author, with guild roles when the payload carries ``member``."""
    user = _mapping(message.get("author"), "author")
    member = message.get("member")
    return _author(user, member, webhook=message.get("webhook_id") is not None)


def emoji_name(emoji: Any) -> str:
    """Unicode emoji as is; a custom emoji as ``name:id`` (its name alone is not unique)."""
    emoji_map = _mapping(emoji, "emoji")
    name = _optional_str(emoji_map, "name")
    emoji_id = emoji_map.get("id")
    if emoji_id is None:
        if not name:
            raise MalformedEvent("unicode emoji without a name")
        return name
    return f"{name or '_'}:{_as_snowflake(emoji_id, 'emoji.id')}"


def unfurls_of(message: Mapping[str, Any]) -> tuple[Unfurl, ...]:
    """Discord's link previews (embeds with a URL); bot-made rich embeds without one are skipped."""
    embeds = message.get("embeds") or []
    if not isinstance(embeds, list):
        raise MalformedEvent("embeds is not a list")
    return tuple(
        unfurl for embed in embeds if (unfurl := _unfurl(_mapping(embed, "embed"))) is not None
    )


def _unfurl(embed: Mapping[str, Any]) -> Unfurl | None:
    url = _optional_str(embed, "url")
    if not url:
        return None
    image = _nested_url(embed, "thumbnail") or _nested_url(embed, "image")
    provider = embed.get("provider")
    site_name = _optional_str(provider, "name") if isinstance(provider, Mapping) else None
    return Unfurl(
        url=url,
        title=_optional_str(embed, "title"),
        description=_optional_str(embed, "description"),
        image_url=image,
        site_name=site_name,
    )


def _nested_url(embed: Mapping[str, Any], key: str) -> str | None:
    media = embed.get(key)
    if media is None:
        return None
    return _optional_str(_mapping(media, key), "url")


def _author(user: Mapping[str, Any], member: Any, *, webhook: bool = False) -> Author:
    roles: tuple[str, ...] = ()
    nick: str | None = None
    if member is not None:
        member_map = _mapping(member, "member")
        raw_roles = member_map.get("roles") or []
        if not isinstance(raw_roles, list):
            raise MalformedEvent("member.roles is not a list")
        roles = tuple(role_ref(_as_snowflake(r, "role")) for r in raw_roles)
        nick = _optional_str(member_map, "nick")
    name = nick or _optional_str(user, "global_name") or _optional_str(user, "username")
    return Author(
        id=user_ref(_snowflake(user, "id")),
        name=name,
        roles=roles,
        is_bot=bool(user.get("bot")) or webhook,
    )


def _reaction_parts(data: Any, parent_id: str | None) -> tuple[str, str, Author, str]:
    reaction = _mapping(data, "reaction")
    user_id = _snowflake(reaction, "user_id")
    member = reaction.get("member")
    user_data: Mapping[str, Any] = {"id": user_id}
    if member is not None and _mapping(member, "member").get("user") is not None:
        user_data = _mapping(member["user"], "member.user")
    user = _author(user_data, member)
    if user.id != user_ref(user_id):
        raise MalformedEvent("reaction member is not the reacting user")
    channel = channel_ref(parent_id or _snowflake(reaction, "channel_id"))
    return _snowflake(reaction, "message_id"), channel, user, emoji_name(reaction.get("emoji"))


def _thread_parent(
    message: Mapping[str, Any], channel_id: str, parent_id: str | None
) -> str | None:
    reference = message.get("message_reference")
    if reference is not None:
        ref = _mapping(reference, "message_reference")
        same_channel = ref.get("channel_id") in (None, channel_id)
        is_reply = _optional_int(ref, "type", default=REPLY_REFERENCE_TYPE) == REPLY_REFERENCE_TYPE
        if same_channel and is_reply and ref.get("message_id") is not None:
            return _as_snowflake(ref["message_id"], "message_reference.message_id")
    # In a thread started from a message, the thread id is that message's id.
    return channel_id if parent_id is not None else None


def _permalink(message: Mapping[str, Any], channel_id: str, message_id: str) -> str | None:
    guild_id = message.get("guild_id")
    if guild_id is None:
        return None
    guild = _as_snowflake(guild_id, "guild_id")
    return f"https://discord.com/channels/{guild}/{channel_id}/{message_id}"


def _digest(parts: Any) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{what} is not an object")
    return value


def _snowflake(data: Mapping[str, Any], key: str) -> str:
    if key not in data:
        raise MalformedEvent(f"missing {key}")
    return _as_snowflake(data[key], key)


def _as_snowflake(value: Any, what: str) -> str:
    """Snowflakes are decimal strings (integers in some older payloads)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64:
        return str(value)
    if not isinstance(value, str):
        raise MalformedEvent(f"{what} is not a snowflake")
    text = value
    if not text.isascii() or not text.isdigit():
        raise MalformedEvent(f"{what} is not a snowflake: {text!r}")
    return text


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise MalformedEvent(f"{key} is not a string")
    return value


def _optional_int(data: Mapping[str, Any], key: str, *, default: int) -> int:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"{key} is not an integer")
    return value


def _timestamp(data: Mapping[str, Any], key: str) -> datetime:
    value = _optional_str(data, key)
    if value is None:
        raise MalformedEvent(f"missing {key}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise MalformedEvent(f"{key} is not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise MalformedEvent(f"{key} has no time zone: {value!r}")
    return parsed


def snowflake_key(position: str) -> int:
    """A snowflake as the integer it is (``float`` cannot tell two apart past 2**53); an
    unreadable one sorts first."""
    return int(position) if position.isdigit() else -1
