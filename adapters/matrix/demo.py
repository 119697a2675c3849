"""Matrix's side of ``linkletter demo``: room events as a homeserver serves them in ``/sync``,
put through the live translator as they are built. A message's handle is its event id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from adapters.matrix.members import Members
from adapters.matrix.translate import ReactionKey, RoomView, reaction_key, ref, translate
from bot.events import ChatEvent
from bot.platform import DemoUsers

OWN_USER = "@linkletter:demo.test"


class MatrixDemo:
    """Builds the demo's Matrix deliveries (``bot.platform.DemoChat``)."""

    def __init__(self, users: DemoUsers, serial: Iterator[int], sink: list[ChatEvent]) -> None:
        self.users = users
        self.serial = serial
        self.sink = sink
        self.members = Members(())
        self.reactions: dict[str, ReactionKey] = {}

    def post(
        self, channel: str, user: str, text: str, at: datetime, reply_to: str | None = None
    ) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return self._deliver(channel, user, "m.room.message", content, at)

    def edit(self, channel: str, user: str, message: str, old: str, new: str, at: datetime) -> None:
        content = {
            "msgtype": "m.text",
            "body": f"* {new}",
            "m.new_content": {"msgtype": "m.text", "body": new},
            "m.relates_to": {"rel_type": "m.replace", "event_id": message},
        }
        self._deliver(channel, user, "m.room.message", content, at)

    def delete(self, channel: str, message: str, at: datetime) -> None:
        self._deliver(
            channel,
            OWN_USER.replace("linkletter", "moderator"),
            "m.room.redaction",
            {"redacts": message},
            at,
        )

    def react(self, channel: str, message: str, user: str, emoji: str, at: datetime) -> None:
        relation = {"rel_type": "m.annotation", "event_id": message, "key": emoji}
        self._deliver(channel, user, "m.reaction", {"m.relates_to": relation}, at)

    def _deliver(
        self, channel: str, user: str, kind: str, content: dict[str, Any], at: datetime
    ) -> str:
        event_id = f"$demo{next(self.serial)}"
        name, _roles = self.users.get(user, (user, []))
        self.members.learn(
            channel,
            {
                "type": "m.room.member",
                "state_key": user,
                "content": {"membership": "join", "displayname": name},
            },
        )
        event = {
            "type": kind,
            "event_id": event_id,
            "sender": user,
            "content": content,
            "origin_server_ts": int(at.timestamp() * 1000),
        }
        if (found := reaction_key(event)) is not None:
            self.reactions[found[0]] = found[1]
        view = RoomView(
            ref(channel),
            channel,
            OWN_USER,
            lambda u: self.members.author(channel, u),
            self.reactions,
        )
        if (translated := translate(event, view)) is not None:
            self.sink.append(translated)
        return event_id
