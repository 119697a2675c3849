"""Catch up on what happened while the gateway session was gone (reliability rows 7 and 9).

A RESUME replays missed dispatches; a fresh session (first start, restart, or INVALID_SESSION
with ``d=false``) does not, so the adapter then reads each watched channel's history after the
core's checkpoint and feeds it through the same idempotent path as live events. Reactions on
those messages become ``ReactionAdded`` per user with the ``history`` delivery id (see
``translate``); their users are fetched at most once per message per ``REACTION_REFETCH``
so a restart loop cannot become a request storm.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from discord.http import HTTPClient

from adapters.discord.translate import (
    HISTORY_DELIVERY,
    MalformedEvent,
    channel_ref,
    emoji_name,
    message_created,
    reaction_added,
)
from bot.events import ChatEvent
from bot.ports import Core

log = logging.getLogger(__name__)

PAGE = 100  # Discord's maximum for GET /channels/{id}/messages and reaction users
REACTION_REFETCH = 600.0  # seconds: reliability row 7

EventSink = Callable[[ChatEvent], Awaitable[None]]


class ReactionFetchLimiter:
    """Remembers when each message's reaction users were last fetched."""

    def __init__(
        self, interval: float = REACTION_REFETCH, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._fetched: dict[str, float] = {}

    def allow(self, message_id: str) -> bool:
        now = self._clock()
        last = self._fetched.get(message_id)
        if last is not None and now - last < self._interval:
            return False
        self._fetched[message_id] = now
        return True


class Backfill:
    """Reads history for watched channels; ``sink`` handles each event (the adapter's path)."""

    def __init__(
        self,
        http: HTTPClient,
        core: Core,
        sink: EventSink,
        *,
        bot_user_id: str,
        limiter: ReactionFetchLimiter | None = None,
    ) -> None:
        self._http = http
        self._core = core
        self._sink = sink
        self._bot_user_id = bot_user_id
        self._limiter = limiter or ReactionFetchLimiter()
        self._members: dict[tuple[str, str], dict[str, Any]] = {}

    async def channel(
        self,
        channel_id: str,
        *,
        guild_id: str | None,
        last_message_id: str | None,
        parent_id: str | None = None,
        default_after: str | None = None,
    ) -> int:
        """Catch one channel (or a thread under ``parent_id``) up; returns messages read.

        The checkpoint is per channel or thread id. Without one, ``default_after`` is used
        (for a thread: its parent's checkpoint from before this catch-up; snowflakes are
        time-ordered, so that means "posted since the bot last saw the parent"). Without either
        (first start) nothing is imported: the current last message becomes the checkpoint.
        """
        ref = channel_ref(channel_id)
        after = await self._core.checkpoint(ref) or default_after
        if after is None:
            if last_message_id is not None:
                await self._core.save_checkpoint(ref, last_message_id)
            return 0
        read = 0
        while True:
            page: list[Any] = await self._http.logs_from(channel_id, PAGE, after=after)
            for message in sorted(page, key=lambda m: int(m["id"])):
                await self._message(message, guild_id, parent_id)
                after = str(message["id"])
                await self._core.save_checkpoint(ref, after)
            read += len(page)
            if len(page) < PAGE:
                return read

    async def _message(
        self, message: dict[str, Any], guild_id: str | None, parent_id: str | None
    ) -> None:
        try:
            event = message_created(message, parent_id=parent_id)
        except MalformedEvent:
            log.warning("skipping malformed history message %s", message.get("id"))
            return
        if event is None:
            return
        await self._sink(event)
        if message.get("reactions") and self._limiter.allow(event.message_id):
            await self._reactions(message, guild_id, parent_id, event.at)

    async def _reactions(
        self, message: dict[str, Any], guild_id: str | None, parent_id: str | None, at: datetime
    ) -> None:
        channel_id, message_id = str(message["channel_id"]), str(message["id"])
        for reaction in message["reactions"]:
            emoji = emoji_name(reaction["emoji"])
            for user in await self._reaction_users(channel_id, message_id, emoji):
                if str(user["id"]) == self._bot_user_id:
                    continue
                member = await self._member(guild_id, user)
                await self._sink(
                    reaction_added(
                        {
                            "user_id": user["id"],
                            "message_id": message_id,
                            "channel_id": channel_id,
                            "emoji": reaction["emoji"],
                            "member": member,
                        },
                        at=at,
                        delivery=HISTORY_DELIVERY,
                        parent_id=parent_id,
                    )
                )

    async def _reaction_users(
        self, channel_id: str, message_id: str, emoji: str
    ) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page: list[Any] = await self._http.get_reaction_users(
                channel_id, message_id, emoji, PAGE, after=after
            )
            users.extend(page)
            if len(page) < PAGE:
                return users
            after = str(page[-1]["id"])

    async def _member(self, guild_id: str | None, user: dict[str, Any]) -> dict[str, Any]:
        """The reacting user as a guild member (editors may be roles); one lookup per user."""
        key = (guild_id or "", str(user["id"]))
        if key not in self._members:
            member: dict[str, Any] = {"user": user, "roles": []}
            if guild_id is not None:
                member = dict(await self._http.get_member(guild_id, user["id"]))
            self._members[key] = member
        return self._members[key]
