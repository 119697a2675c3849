"""Posting on Matrix: digests, direct messages, receipts (``bot.ports.ChatPublisher``).

Exactly once. Each post carries its delivery key in the content (``DELIVERY_KEY``) and is sent
with a transaction id derived from the key, so a retried request (the response lost, the process
restarted with the same device) is the same event to the homeserver. After a crash,
``find_posted`` reads the room's recent messages from the bot for the key.

Every post has ``m.mentions: {}``: it mentions nobody, so nothing pings (clients that predate
intentional mentions match ``@room`` in the body, which the renderer disarms).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from mautrix.errors import MNotFound

from adapters.matrix.client import MatrixClient, txn_id
from adapters.matrix.render import text_notice
from adapters.matrix.rooms import Rooms
from adapters.matrix.translate import PLATFORM, ref
from bot.capture.emoji import normalise
from bot.events import AddReaction, Effect, ReplyInThread

DELIVERY_KEY = "org.linkletter.delivery"
FIND_POSTED_PAGES = 4  # pages of 50 of the bot's own messages searched for a key
PAGE = 50


class MatrixPublisher:
    platform = PLATFORM

    def __init__(self, client: MatrixClient, rooms: Rooms, own_user: str) -> None:
        self.client = client
        self.rooms = rooms
        self.own_user = own_user
        self._direct: dict[str, str] = {}
        self._direct_lock = asyncio.Lock()  # m.direct is read, changed and written back whole

    async def post(self, channel: str, payload: dict[str, Any], key: str) -> str:
        content = payload | {"m.mentions": {}, DELIVERY_KEY: key}
        room_id = await self.rooms.room_id(channel)
        return await self.client.send(room_id, "m.room.message", content, txn_id(key))

    async def find_posted(self, channel: str, key: str) -> str | None:
        room_id = await self.rooms.room_id(channel)
        only_mine = json.dumps({"senders": [self.own_user], "types": ["m.room.message"]})
        start: str | None = None
        for _ in range(FIND_POSTED_PAGES):
            page = await self.client.messages(room_id, start, limit=PAGE, filter_json=only_mine)
            for event in page.get("chunk", []):
                if (event.get("content") or {}).get(DELIVERY_KEY) == key:
                    return str(event["event_id"])
            start = page.get("end")
            if not start:
                return None
        return None

    async def direct_message(self, user: str, payload: dict[str, Any]) -> None:
        room_id = await self._direct_room(user.removeprefix(f"{PLATFORM}:"))
        await self.client.send(room_id, "m.room.message", payload | {"m.mentions": {}}, _fresh())

    async def reply(self, channel: str, event_id: str, text: str) -> None:
        """A notice replying to ``event_id`` (a command's answer in the room)."""
        relation = {"m.in_reply_to": {"event_id": event_id}}
        content = text_notice(text) | {"m.mentions": {}, "m.relates_to": relation}
        await self.client.send(
            await self.rooms.room_id(channel), "m.room.message", content, _fresh()
        )

    async def apply(self, effect: Effect) -> None:
        room_id = await self.rooms.room_id(effect.channel)
        if isinstance(effect, AddReaction):
            relation = {
                "rel_type": "m.annotation",
                "event_id": effect.message_id,
                "key": normalise(effect.emoji),
            }
            txn = txn_id(f"react:{effect.message_id}:{relation['key']}")
            await self.client.send(room_id, "m.reaction", {"m.relates_to": relation}, txn)
        elif isinstance(effect, ReplyInThread):
            await self.reply(ref(room_id), effect.message_id, effect.text)

    async def _direct_room(self, user_id: str) -> str:
        """The bot's direct room with ``user_id`` (from ``m.direct``), made once if none."""
        async with self._direct_lock:
            if user_id not in self._direct:
                self._direct[user_id] = await self._find_or_make_direct_room(user_id)
            return self._direct[user_id]

    async def _find_or_make_direct_room(self, user_id: str) -> str:
        try:
            direct = await self.client.account_data(self.own_user, "m.direct")
        except MNotFound:  # no direct rooms yet
            direct = {}
        joined = set(await self.client.joined_rooms())
        room_id = next((r for r in direct.get(user_id, []) if r in joined), None)
        if room_id is None:
            room_id = await self.client.create_direct_room(user_id)
            direct[user_id] = [*direct.get(user_id, []), room_id]
            await self.client.set_account_data(self.own_user, "m.direct", direct)
        return room_id


def _fresh() -> str:
    """A transaction id for a send that has no delivery key (a command's answer)."""
    return uuid.uuid4().hex
