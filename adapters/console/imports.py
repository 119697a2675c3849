"""History imports: a Slack workspace export and a DiscordChatExporter JSON file become the
same neutral events the live adapters produce (with the same deterministic ids), so importing
twice, or importing what the bot also saw live, changes nothing.

Exports are read message by message (a 200,000-message DiscordChatExporter file is streamed,
never loaded whole), so the caller can apply them in batches as they come. A file that is not
an export fails before anything is read; one message that cannot be read is skipped and named
in :class:`ImportReport`, and the rest imports.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import IO, Any

import ijson

from adapters.discord import translate as discord_translate
from adapters.slack import translate as slack_translate
from bot.events import ChatEvent, MessagePosted

_BOM = b"\xef\xbb\xbf"


class NotAnExport(Exception):
    """The file is not the export it was said to be; the message says what was expected."""


@dataclass
class ImportReport:
    """What an import read and skipped (for its closing summary), and how far it has got."""

    messages: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    done: int = 0  # bytes of the export read so far, out of ``total``
    total: int = 0

    def skip(self, reason: str, warning: str | None = None) -> None:
        self.skipped[reason] += 1
        if warning is not None:
            self.warnings.append(warning)


def _nothing_shared(kind: object) -> str:
    """The skip reason for joins, pins, tombstones and other messages nobody shares in."""
    return f"system ({kind})"


# --- Slack ------------------------------------------------------------------------------------
class _Folder:
    """A Slack export as a zip file or an unpacked folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.is_file() else None
        if self.zip is not None:
            self.names = set(self.zip.namelist())
        else:
            self.names = {p.relative_to(path).as_posix() for p in path.rglob("*.json")}

    def size(self, name: str) -> int:
        if self.zip is not None:
            return self.zip.getinfo(name).file_size
        return (self.path / name).stat().st_size

    def load(self, name: str) -> Any:
        """One JSON file, with or without a byte-order mark."""
        raw = self.zip.read(name) if self.zip is not None else (self.path / name).read_bytes()
        return json.loads(raw.decode("utf-8-sig"))


class SlackExport:
    """A Slack workspace export (standard, or with private channels in ``groups.json``).

    Channels are read from ``channels.json`` and ``groups.json``, each from the folder named
    after it; direct messages (``dms.json``, ``mpims.json``) are never watched, so never read.
    """

    def __init__(self, path: Path) -> None:
        try:
            self.folder = _Folder(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise NotAnExport(f"{path} is not a Slack export zip: {exc}") from exc
        if "channels.json" not in self.folder.names:
            raise NotAnExport(
                f"{path} is not a Slack export: it has no channels.json (Slack's export has "
                "channels.json, users.json and one folder of <date>.json files per channel)"
            )
        self.path = path
        self.notes: list[str] = []  # what reading the listings skipped, for the report
        try:
            self.channels = self._channels()
            self.users = self._user_names()
        except (AttributeError, TypeError, ValueError) as exc:
            raise NotAnExport(f"{path}: not a readable Slack export ({exc})") from exc

    def _channels(self) -> dict[str, str]:
        """Folder (channel name) -> raw channel id, public and private channels."""
        found: dict[str, str] = {}
        for listing in ("channels.json", "groups.json"):
            entries = self.folder.load(listing) if listing in self.folder.names else []
            for entry in entries:
                name, raw = (entry.get(k) for k in ("name", "id"))
                if isinstance(name, str) and isinstance(raw, str) and name and raw:
                    found[name] = raw
                else:
                    self.notes.append(f"{listing}: skipped an entry without a name and id")
        return found

    def _user_names(self) -> dict[str, str]:
        listing = next((n for n in ("users.json", "org_users.json") if n in self.folder.names), "")
        names = {}
        for user in self.folder.load(listing) if listing else []:
            if isinstance(user, Mapping) and isinstance(user.get("id"), str):
                profile = user.get("profile") or {}
                names[user["id"]] = (
                    profile.get("display_name") or user.get("real_name") or user.get("name") or ""
                )
        return names

    def events(self, watched: Collection[str], report: ImportReport) -> Iterator[ChatEvent]:
        """The events of the watched channels, day file by day file."""
        report.warnings += self.notes
        present = {slack_translate.slack_id(raw) for raw in self.channels.values()}
        for missing in sorted(c for c in watched if c.startswith("slack:") and c not in present):
            report.warnings.append(
                f"{missing} is a source but is not in this export (a private channel needs an "
                "export that includes private channels: groups.json)"
            )
        days = self._day_files(watched)
        report.total = sum(size for _name, _channel, size in days)
        for name, channel, size in days:
            yield from self._day(name, channel, report)
            report.done += size

    def _day_files(self, watched: Collection[str]) -> list[tuple[str, str, int]]:
        days = []
        for name in sorted(self.folder.names):
            parts = PurePosixPath(name).parts
            if len(parts) != 2 or not name.endswith(".json") or parts[0] not in self.channels:
                continue
            channel = self.channels[parts[0]]
            if slack_translate.slack_id(channel) in watched:
                days.append((name, channel, self.folder.size(name)))
        return days

    def _day(self, name: str, channel: str, report: ImportReport) -> Iterator[ChatEvent]:
        try:
            messages = self.folder.load(name)
        except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            report.warnings.append(f"{name}: skipped, not a readable day file ({exc})")
            return
        if not isinstance(messages, list):
            report.warnings.append(f"{name}: skipped, not a list of messages")
            return
        for message in messages:
            report.messages += 1
            yield from self._message(name, channel, message, report)

    def _message(
        self, name: str, channel: str, message: object, report: ImportReport
    ) -> list[ChatEvent]:
        if not isinstance(message, Mapping):
            report.skip("unreadable", f"{name}: an entry that is not a message object")
            return []
        try:
            events = list(slack_translate.history_events(channel, message))
        except slack_translate.MalformedEvent as exc:
            report.skip("unreadable", f"{name}: message {message.get('ts')!r}: {exc.reason}")
            return []
        if not events:  # joins, topic changes, tombstones: subtypes that share nothing
            report.skip(_nothing_shared(message.get("subtype")))
        return [self._named(event) for event in events]

    def _named(self, event: ChatEvent) -> ChatEvent:
        if isinstance(event, MessagePosted) and event.author.name is None:
            name = self.users.get(event.author.id.removeprefix(slack_translate.PREFIX))
            if name:
                return replace(event, author=replace(event.author, name=name))
        return event


# --- Discord (DiscordChatExporter JSON) --------------------------------------------------------
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
                report.skip(_nothing_shared(message["type"]))
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
