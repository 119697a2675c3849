"""Discord's side of ``linkletter demo``: gateway dispatch payloads (the shapes of the real
captures in tests/fixtures), put through the live translator as they are built.

Message ids are snowflakes made from the time and the demo's delivery serial; a message's
handle is its id. Every message is in one guild.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from adapters.discord import translate
from bot.events import ChatEvent
from bot.platform import DemoUsers

GUILD = "1000000000000000001"
_EPOCH_MS = 1420070400000  # Discord's epoch, 2015-01-01


class DiscordDemo:
    """Builds the demo's Discord deliveries (``bot.platform.DemoChat``)."""

    def __init__(
        self,
        users: DemoUsers,
        serial: Iterator[int],
        sink: list[ChatEvent],
    ) -> None:
        self.users = users
        self.serial = serial
        self.sink = sink

    def _snowflake(self, at: datetime) -> str:
        return str(((int(at.timestamp() * 1000) - _EPOCH_MS) << 22) + next(self.serial))

    def post(
        self, channel: str, user: str, text: str, at: datetime, reply_to: str | None = None
    ) -> str:
        name, roles = self.users[user]
        message_id = self._snowflake(at)
        data: dict[str, Any] = {
            "id": message_id,
            "channel_id": channel,
            "guild_id": GUILD,
            "author": {"id": user, "username": name.lower(), "global_name": name},
            "member": {"roles": roles},
            "content": text,
            "timestamp": at.isoformat(),
            "edited_timestamp": None,
            "type": 19 if reply_to else 0,
            "embeds": [],
            "attachments": [],
            "mentions": [],
        }
        if reply_to:
            data["message_reference"] = {
                "message_id": reply_to,
                "channel_id": channel,
                "guild_id": GUILD,
                "type": 0,
            }
        posted = translate.message_created(data)
        if posted is not None:
            self.sink.append(posted)
        return message_id

    def edit(self, channel: str, user: str, message: str, old: str, new: str, at: datetime) -> None:
        name, _roles = self.users[user]
        data = {
            "id": message,
            "channel_id": channel,
            "guild_id": GUILD,
            "author": {"id": user, "username": name.lower(), "global_name": name},
            "content": new,
            "edited_timestamp": at.isoformat(),
        }
        edited = translate.message_updated(data, previous_content=old)
        if edited is not None:
            self.sink.append(edited)

    def delete(self, channel: str, message: str, at: datetime) -> None:
        data = {"id": message, "channel_id": channel, "guild_id": GUILD}
        self.sink.append(translate.message_deleted(data, at=at))

    def react(self, channel: str, message: str, user: str, emoji: str, at: datetime) -> None:
        name, roles = self.users[user]
        data = {
            "user_id": user,
            "channel_id": channel,
            "message_id": message,
            "guild_id": GUILD,
            "emoji": {"id": None, "name": emoji},
            "member": {"roles": roles, "user": {"id": user, "username": name.lower()}},
        }
        self.sink.append(translate.reaction_added(data, at=at, delivery="demo"))
