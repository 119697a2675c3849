"""``linkletter import slack-export``: a Slack workspace export, read message by message.

The messages go through the live adapter's translator (``adapters.slack.translate``), so an
imported message has the id it would have had live (see ``bot.capture.history``).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from adapters.slack import translate as slack_translate
from bot.capture.history import ImportReport, NotAnExport, nothing_shared
from bot.events import ChatEvent, MessagePosted


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
            report.skip(nothing_shared(message.get("subtype")))
        return [self._named(event) for event in events]

    def _named(self, event: ChatEvent) -> ChatEvent:
        if isinstance(event, MessagePosted) and event.author.name is None:
            name = self.users.get(event.author.id.removeprefix(slack_translate.PREFIX))
            if name:
                return replace(event, author=replace(event.author, name=name))
        return event
