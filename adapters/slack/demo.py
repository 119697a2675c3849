"""Slack's side of ``linkletter demo``: Events API ``event_callback`` envelopes (the shapes of
the real captures in tests/fixtures), put through the live translator as they are built.

Slack events carry no display names (the live adapter looks them up); here the demo's
directory stands in. A message's handle is its ``ts``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from adapters.slack import translate
from bot.events import ChatEvent, MessagePosted
from bot.platform import DemoUsers


def _ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


class SlackDemo:
    """Builds the demo's Slack deliveries (``bot.platform.DemoChat``)."""

    def __init__(
        self,
        users: DemoUsers,
        serial: Iterator[int],
        sink: list[ChatEvent],
    ) -> None:
        self.users = users
        self.serial = serial
        self.sink = sink

    def _deliver(self, event: dict[str, Any], at: datetime) -> None:
        envelope = {
            "token": "demo",
            "team_id": "T0DEMO",
            "api_app_id": "A0DEMO",
            "type": "event_callback",
            "event_id": f"Ev0DEMO{next(self.serial):04d}",
            "event_time": int(at.timestamp()),
            "event": event,
        }
        translated = translate.translate(envelope)
        if isinstance(translated, MessagePosted):
            name = self.users.get(translated.author.id.removeprefix(translate.PREFIX))
            author = replace(translated.author, name=name[0] if name else None)
            translated = replace(translated, author=author)
        if translated is not None:
            self.sink.append(translated)

    def post(
        self, channel: str, user: str, text: str, at: datetime, reply_to: str | None = None
    ) -> str:
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": _ts(at),
            "event_ts": _ts(at),
            "channel_type": "channel",
        }
        if reply_to is not None:
            event["thread_ts"] = reply_to
        self._deliver(event, at)
        return _ts(at)

    def edit(self, channel: str, user: str, message: str, old: str, new: str, at: datetime) -> None:
        self._deliver(
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": channel,
                "hidden": True,
                "message": {
                    "type": "message",
                    "user": user,
                    "text": new,
                    "ts": message,
                    "edited": {"user": user, "ts": _ts(at)},
                },
                "previous_message": {
                    "type": "message",
                    "user": user,
                    "text": old,
                    "ts": message,
                },
                "event_ts": _ts(at),
                "ts": _ts(at),
            },
            at,
        )

    def delete(self, channel: str, message: str, at: datetime) -> None:
        self._deliver(
            {
                "type": "message",
                "subtype": "message_deleted",
                "channel": channel,
                "hidden": True,
                "deleted_ts": message,
                "event_ts": _ts(at),
                "ts": _ts(at),
            },
            at,
        )

    def react(self, channel: str, message: str, user: str, emoji: str, at: datetime) -> None:
        self._deliver(
            {
                "type": "reaction_added",
                "user": user,
                "reaction": emoji,
                "item": {"type": "message", "channel": channel, "ts": message},
                "event_ts": _ts(at),
            },
            at,
        )
