"""History imports: a Slack workspace export and a DiscordChatExporter JSON file become the
same neutral events the live adapters produce (with the same deterministic ids), so importing
twice, or importing what the bot also saw live, changes nothing.

The whole file is read and translated before anything is applied: a file that is not an export
fails with one clear message and writes nothing.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from adapters.discord import translate as discord_translate
from adapters.slack import translate as slack_translate
from bot.events import ChatEvent, MessagePosted


class NotAnExport(Exception):
    """The file is not the export it was said to be; the message says what was expected."""


# --- Slack ------------------------------------------------------------------------------------
class _Folder:
    """A Slack export as a zip file or an unpacked folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.is_file() else None

    def names(self) -> list[str]:
        if self.zip is not None:
            return self.zip.namelist()
        return [p.relative_to(self.path).as_posix() for p in self.path.rglob("*.json")]

    def load(self, name: str) -> Any:
        raw = self.zip.read(name) if self.zip is not None else (self.path / name).read_bytes()
        return json.loads(raw)


def _slack_folder(path: Path) -> _Folder:
    try:
        folder = _Folder(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAnExport(f"{path} is not a Slack export zip: {exc}") from exc
    if "channels.json" not in folder.names():
        raise NotAnExport(
            f"{path} is not a Slack export: it has no channels.json (Slack's export has "
            "channels.json, users.json and one folder of <date>.json files per channel)"
        )
    return folder


def _user_names(folder: _Folder) -> dict[str, str]:
    if "users.json" not in folder.names():
        return {}
    names = {}
    for user in folder.load("users.json"):
        if isinstance(user, Mapping) and isinstance(user.get("id"), str):
            profile = user.get("profile") or {}
            names[user["id"]] = (
                profile.get("display_name") or user.get("real_name") or user.get("name") or ""
            )
    return names


def slack_export_events(path: Path) -> list[ChatEvent]:
    folder = _slack_folder(path)
    try:
        channels = {c["name"]: c["id"] for c in folder.load("channels.json")}
        users = _user_names(folder)
        events: list[ChatEvent] = []
        for name in sorted(folder.names()):
            parts = PurePosixPath(name).parts
            if len(parts) != 2 or parts[0] not in channels or not name.endswith(".json"):
                continue
            for message in folder.load(name):
                events += [_named(e, users) for e in _slack_message(channels[parts[0]], message)]
    except (KeyError, TypeError, ValueError) as exc:
        raise NotAnExport(f"{path}: not a readable Slack export ({exc})") from exc
    return events


def _slack_message(channel: str, message: Any) -> Iterator[ChatEvent]:
    if not isinstance(message, Mapping):
        return
    try:
        yield from slack_translate.history_events(channel, message)
    except slack_translate.MalformedEvent:
        return  # a join notice or a message without a user: nothing to capture


def _named(event: ChatEvent, users: Mapping[str, str]) -> ChatEvent:
    if isinstance(event, MessagePosted) and event.author.name is None:
        raw = event.author.id.split(":", 1)[-1]
        if users.get(raw):
            return replace(event, author=replace(event.author, name=users[raw]))
    return event


# --- Discord (DiscordChatExporter JSON) --------------------------------------------------------
_TYPES = {"Default": 0, "Reply": 19}


def discord_export_events(path: Path) -> list[ChatEvent]:
    try:
        export = json.loads(path.read_text(encoding="utf-8"))
        channel = export["channel"]["id"]
        guild = (export.get("guild") or {}).get("id")
        messages = export["messages"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotAnExport(
            f"{path} is not a DiscordChatExporter JSON export (expected an object with "
            f'"channel" and "messages"): {exc}'
        ) from exc
    if not isinstance(messages, list):
        raise NotAnExport(f'{path}: "messages" is not a list of messages')
    events: list[ChatEvent] = []
    for message in messages:
        try:
            kind = message["type"]
            if kind not in _TYPES:
                continue  # joins, pins, boosts: nothing shared
            events += _discord_message(channel, guild, message)
        except (
            discord_translate.MalformedEvent,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
        ) as exc:
            ident = message.get("id") if isinstance(message, Mapping) else message
            raise NotAnExport(f"{path}: message {ident!r} is unreadable: {exc}") from exc
    return events


def _discord_message(
    channel: str, guild: str | None, message: Mapping[str, Any]
) -> list[ChatEvent]:
    author = message["author"]
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
        "content": message.get("content", ""),
        "timestamp": message["timestamp"],
        "edited_timestamp": message.get("timestampEdited"),
        "type": _TYPES[message["type"]],
        "embeds": [],
        "attachments": [],
        "mentions": [],
    }
    reference = message.get("reference") or {}
    if reference.get("messageId"):
        data["message_reference"] = {"message_id": reference["messageId"], "type": 0}
    posted = discord_translate.message_created(data)
    if posted is None:
        return []
    events: list[ChatEvent] = [posted]
    for reaction in message.get("reactions") or []:
        emoji = reaction.get("emoji") or {}
        for user in reaction.get("users") or []:  # newer exports list who reacted
            events.append(
                discord_translate.reaction_added(
                    {
                        "user_id": user["id"],
                        "channel_id": channel,
                        "message_id": message["id"],
                        "guild_id": guild,
                        "emoji": {"id": emoji.get("id"), "name": emoji.get("name")},
                    },
                    at=posted.at,
                    delivery="history",
                )
            )
    return events
