"""Recover what was said while the bot was not listening (reliability row 9).

For each watched channel: read ``conversations.history`` since the core's checkpoint (plus
``conversations.replies`` for threads with new replies), oldest first, through the same consumer as
live events, saving the checkpoint after each page. Keys are deterministic, so a replay of a
message that was also delivered live is a duplicate the core drops. Calls are paced by
``min_interval`` (history methods are rate limited per workspace), so a long outage never turns
into a burst that gets the app throttled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.translate import (
    MalformedEvent,
    history_events,
    is_slack_ts,
    raw_id,
    slack_id,
    ts_key,
)
from bot.capture.consumer import Capture, EventConsumer
from bot.events import ReactionAdded
from bot.ports import Core

log = logging.getLogger(__name__)
Message = dict[str, Any]


class Pacer:
    """At least ``interval`` seconds between the starts of two calls."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: float | None = None

    async def wait(self) -> None:
        if self._last is not None:
            await asyncio.sleep(max(0.0, self._last + self.interval - time.monotonic()))
        self._last = time.monotonic()


class Backfiller:
    """``first_lookback``: how far back to read a channel that has no checkpoint yet."""

    def __init__(
        self,
        client: AsyncWebClient,
        core: Core,
        consumer: EventConsumer,
        *,
        min_interval: float = 3.0,
        page_size: int = 200,
        first_lookback: timedelta = timedelta(days=7),
    ) -> None:
        self.client = client
        self.core = core
        self.consumer = consumer
        self.pacer = Pacer(min_interval)
        self.page_size = page_size
        self.first_lookback = first_lookback
        self._lock = asyncio.Lock()
        self._own: tuple[str, str] | None = None

    async def _own_ids(self) -> tuple[str, str]:
        """The bot's ``(user id, bot id)``: its own posts and receipts are not curation input
        (live, bolt drops them the same way)."""
        if self._own is None:
            auth = await self.client.auth_test()
            self._own = (slack_id(str(auth.get("user_id"))), str(auth.get("bot_id")))
        return self._own

    async def run(self, channels: Iterable[str]) -> None:
        """Backfill each channel in turn (one backfill at a time; a later call waits).

        Until its backfill succeeds, a channel's live posts don't move its checkpoint: that
        would skip what the backfill has not read yet.
        """
        async with self._lock:
            pending = list(channels)
            self.consumer.behind(pending)
            for channel in pending:
                try:
                    await self.channel(channel)
                except Exception:
                    log.exception(
                        "backfill of %s stopped; the next one resumes from its checkpoint", channel
                    )
                else:
                    self.consumer.caught_up(channel)

    async def channel(self, channel: str) -> int:
        """Feed one channel's missed messages to the core; return how many were read."""
        since = await self.core.checkpoint(channel)
        oldest = since or f"{time.time() - self.first_lookback.total_seconds():.6f}"
        messages = await self._history(raw_id(channel), oldest)
        messages.sort(key=lambda message: ts_key(message["ts"]))
        for start in range(0, len(messages), self.page_size):
            page = messages[start : start + self.page_size]
            for message in page:
                await self._feed(channel, message)
                if _has_replies_after(message, oldest):
                    for reply in await self._replies(raw_id(channel), message["ts"], oldest):
                        await self._feed(channel, reply)
            await self.consumer.remember_position(channel, page[-1]["ts"])
        return len(messages)

    async def _feed(self, channel: str, message: Message) -> None:
        own_user, own_bot = await self._own_ids()
        if message.get("bot_id") == own_bot:
            return
        try:
            for event in history_events(raw_id(channel), message):
                if not (isinstance(event, ReactionAdded) and event.user.id == own_user):
                    await self.consumer.process(Capture(event))
        except MalformedEvent as error:
            log.warning("skipping unreadable history message in %s: %s", channel, error.reason)

    async def _history(self, channel_id: str, oldest: str) -> list[Message]:
        return await self._paginate("conversations_history", channel=channel_id, oldest=oldest)

    async def _replies(self, channel_id: str, thread_ts: str, oldest: str) -> list[Message]:
        thread = await self._paginate(
            "conversations_replies",
            channel=channel_id,
            ts=thread_ts,
            oldest=oldest,
        )
        return [m for m in thread if m.get("ts") != thread_ts]

    async def _paginate(self, method: str, **args: str) -> list[Message]:
        collected: list[Message] = []
        cursor: str | None = None
        while True:
            await self.pacer.wait()
            response = await getattr(self.client, method)(
                limit=self.page_size,
                cursor=cursor,
                **args,
            )
            collected.extend(m for m in response.get("messages", []) if _has_ts(m))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return collected


def _has_ts(message: object) -> bool:
    return isinstance(message, dict) and is_slack_ts(message.get("ts"))


def _has_replies_after(message: Message, oldest: str) -> bool:
    latest = message.get("latest_reply")
    is_parent = message.get("thread_ts") == message["ts"]
    return is_parent and is_slack_ts(latest) and ts_key(str(latest)) > ts_key(oldest)
