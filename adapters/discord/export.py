"""``linkletter import discord-export``: a DiscordChatExporter JSON file, streamed.

The messages are put in the gateway's shape and go through the live adapter's translator
(``adapters.discord.translate``), so an imported message has the id it would have had live (see
``bot.capture.history``). A 200,000-message export is streamed with ijson, never loaded whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import ijson

from adapters.discord import translate as discord_translate
from bot.capture.history import ImportReport, NotAnExport, nothing_shared
from bot.events import ChatEvent, MessagePosted

_BOM = b"\xef\xbb\xbf"
# Message kinds as DiscordChatExporter names them; kinds it has no name for are numbers ("21").
_TYPES = {"Default": 0, "Reply": 19}
# Threads and forum posts (names since 2.47, numbers before): ``categoryId`` is the parent.
_THREADS = {"GuildNewsThread", "GuildPublicThread", "GuildPrivateThread", 10, 11, 12}
_UNREADABLE = (discord_translate.MalformedEvent, KeyError, TypeError, ValueError, AttributeError)


class _Counting:
    """A binary file that counts the bytes read from it (the import's progress)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.position += len(chunk)
        return chunk


def _open_json(path: Path) -> IO[bytes]:
    """The file, past a byte-order mark if it has one."""
    raw = path.open("rb")
    if raw.read(len(_BOM)) != _BOM:
        raw.seek(0)
    return raw


class DiscordExport:
    """One channel or thread exported by DiscordChatExporter as JSON (``--format Json``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            channel = self._first("channel")
            self.channel_id = _snowflake(channel["id"], "channel.id")
            guild = self._first("guild", required=False) or {}
            self.guild_id = _snowflake(guild["id"], "guild.id") if guild.get("id") else None
            kind, parent = channel.get("type"), channel.get("categoryId")
            thread = isinstance(kind, str | int) and kind in _THREADS
            self.parent_id = _snowflake(parent, "categoryId") if thread and parent else None
        except (OSError, ijson.JSONError, *_UNREADABLE) as exc:
            raise NotAnExport(
                f"{path} is not a DiscordChatExporter JSON export (expected an object with "
                f'"channel" and "messages"): {exc}'
            ) from exc
        self.name = str(channel.get("name") or self.channel_id)

    def _first(self, key: str, *, required: bool = True) -> Any:
        """The top-level ``key``; it precedes ``messages``, so only the file's head is read."""
        with _open_json(self.path) as raw:
            found = next(ijson.items(raw, key), None)
        if found is None and required:
            raise ValueError(f"no {key!r} object")
        if found is not None and not isinstance(found, Mapping):
            raise TypeError(f"{key!r} is not an object")
        return found

    @property
    def channel(self) -> str:
        """Where the messages count: a thread's export counts for its parent channel."""
        return discord_translate.channel_ref(self.parent_id or self.channel_id)

    def events(self, watched: Collection[str], report: ImportReport) -> Iterator[ChatEvent]:
        if self.channel not in watched:
            report.warnings.append(
                f"{self.channel} (#{self.name}) is not a source of any digest: nothing imported"
            )
            return
        report.total = self.path.stat().st_size
        with _open_json(self.path) as raw:
            counting = _Counting(raw)
            try:
                for message in ijson.items(counting, "messages.item", use_float=True):
                    report.messages += 1
                    yield from self._message(message, report)
                    report.done = counting.position
            except (ijson.JSONError, UnicodeDecodeError) as exc:
                raise NotAnExport(
                    f"{self.path} breaks off after message {report.messages} ({exc}); the "
                    "messages before it were imported, and importing again is safe"
                ) from exc

    def _message(self, message: Any, report: ImportReport) -> list[ChatEvent]:
        try:
            kind = _message_type(message["type"])
            if kind not in discord_translate.USER_MESSAGE_TYPES:
                report.skip(nothing_shared(message["type"]))
                return []
            return self._translate(message, kind, report)
        except _UNREADABLE as exc:
            ident = message.get("id") if isinstance(message, Mapping) else message
            reason = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            report.skip("unreadable", f"{self.path.name}: message {ident!r}: {reason}")
            return []

    def _translate(
        self, message: Mapping[str, Any], kind: int, report: ImportReport
    ) -> list[ChatEvent]:
        data = _gateway_message(message, kind, self.channel_id, self.guild_id)
        posted = discord_translate.message_created(data, parent_id=self.parent_id)
        if posted is None:
            return []
        events: list[ChatEvent] = [posted]
        for reaction in message.get("reactions") or []:
            try:  # an odd reaction costs that reaction, not the message's links
                events += self._reactions(posted, reaction)
            except _UNREADABLE as exc:
                report.warnings.append(
                    f"{self.path.name}: message {posted.message_id!r}: a reaction skipped ({exc})"
                )
        return events

    def _reactions(self, posted: MessagePosted, reaction: Mapping[str, Any]) -> list[ChatEvent]:
        emoji = reaction.get("emoji") or {}
        # a Unicode emoji has the id "" in exports, null on the gateway
        gateway_emoji = {"id": emoji.get("id") or None, "name": emoji.get("name")}
        return [
            discord_translate.reaction_added(
                {
                    "user_id": user["id"],
                    "channel_id": self.channel_id,
                    "message_id": posted.message_id,
                    "guild_id": self.guild_id,
                    "emoji": gateway_emoji,
                },
                at=posted.at,
                delivery=discord_translate.HISTORY_DELIVERY,
                parent_id=self.parent_id,
            )
            for user in reaction.get("users") or []  # who reacted (absent in some exports)
        ]


def _snowflake(value: object, what: str) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        raise ValueError(f"{what} is not a Discord id: {value!r}")
    return text


def _message_type(kind: object) -> int | None:
    if isinstance(kind, str) and kind in _TYPES:
        return _TYPES[kind]
    if isinstance(kind, str) and kind.isdigit():
        return int(kind)
    return kind if isinstance(kind, int) and not isinstance(kind, bool) else None


def _gateway_message(
    message: Mapping[str, Any], kind: int, channel: str, guild: str | None
) -> dict[str, Any]:
    """An exported message in the gateway's shape, for the live adapter's translator."""
    author = message.get("author")
    if not isinstance(author, Mapping):
        raise ValueError("author is not an object")
    data: dict[str, Any] = {
        "id": message["id"],
        "channel_id": channel,
        "guild_id": guild,
        "author": {
            "id": author["id"],
            "username": author.get("name"),
            "global_name": author.get("nickname"),
            "bot": bool(author.get("isBot")),
        },
        "member": {"roles": [role["id"] for role in author.get("roles") or []]},
        "content": message.get("content") or "",
        "timestamp": message["timestamp"],
        "edited_timestamp": message.get("timestampEdited"),
        "type": kind,
        "embeds": _embeds(message),
    }
    reference = message.get("reference") or {}
    forward = reference.get("type") == "Forward"
    if reference.get("messageId"):
        data["message_reference"] = {
            "message_id": reference["messageId"],
            "channel_id": reference.get("channelId"),
            "type": 1 if forward else discord_translate.REPLY_REFERENCE_TYPE,
        }
    forwarded = message.get("forwardedMessage")
    if forwarded:
        content = forwarded.get("content") or ""
        data["message_snapshots"] = [
            {"message": {"content": content, "embeds": _embeds(forwarded)}}
        ]
    return data


def _embeds(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Link previews as the gateway has them (exports write "" for an absent title)."""
    return [
        {
            "url": embed.get("url"),
            "title": embed.get("title") or None,
            "description": embed.get("description") or None,
        }
        for embed in message.get("embeds") or []
    ]
