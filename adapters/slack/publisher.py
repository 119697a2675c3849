"""Posting to Slack: digests (marked with message metadata so a restart can find them), DMs,
and the receipts the core asks for."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import Any

import emoji
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import escape
from adapters.slack.translate import raw_id
from bot.events import AddReaction, Effect, ReplyInThread

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "linkletter_digest"
# Posting options that would turn inert user text into pings or links (reliability row 10).
FORBIDDEN_OPTIONS = frozenset({"link_names", "parse"})
HARMLESS_REACTION_ERRORS = frozenset({"already_reacted"})


def slack_emoji_name(value: str) -> str:
    """``📥`` or ``:inbox_tray:`` or ``inbox_tray`` -> ``inbox_tray`` (what reactions.add wants)."""
    return emoji.demojize(value, language="alias").strip(":")


class SlackPublisher:
    """``bot.ports.ChatPublisher`` for Slack. Posts to one channel are at least
    ``min_interval`` seconds apart (Slack allows about one message a second per channel)."""

    platform = "slack"

    def __init__(
        self, client: AsyncWebClient, *, min_interval: float = 1.0, history_pages: int = 5
    ) -> None:
        self.client = client
        self.min_interval = min_interval
        self.history_pages = history_pages
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last_post: dict[str, float] = {}

    async def post(self, channel: str, payload: dict[str, Any], key: str) -> str:
        metadata = {"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": key}}
        return await self._post(raw_id(channel), {**payload, "metadata": metadata})

    async def find_posted(self, channel: str, key: str) -> str | None:
        """Search the latest ``history_pages`` pages of the channel for a post carrying ``key``."""
        cursor: str | None = None
        for _ in range(self.history_pages):
            response = await self.client.conversations_history(
                channel=raw_id(channel),
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
            messages: list[dict[str, Any]] = response.get("messages", [])
            for message in messages:
                if _metadata_key(message) == key:
                    return str(message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return None
        return None

    async def direct_message(self, user: str, payload: dict[str, Any]) -> None:
        opened = await self.client.conversations_open(users=raw_id(user))
        await self._post(opened["channel"]["id"], payload)

    async def apply(self, effect: Effect) -> None:
        if isinstance(effect, AddReaction):
            await self._react(effect)
        elif isinstance(effect, ReplyInThread):
            await self._post(
                raw_id(effect.channel),
                {"text": escape(effect.text), "thread_ts": effect.message_id},
            )

    async def post_text(self, channel: str, text: str) -> str:
        """A plain, escaped message (the hello when the bot joins a channel)."""
        return await self._post(raw_id(channel), {"text": escape(text)})

    async def _react(self, effect: AddReaction) -> None:
        try:
            await self.client.reactions_add(
                channel=raw_id(effect.channel),
                timestamp=effect.message_id,
                name=slack_emoji_name(effect.emoji),
            )
        except SlackApiError as error:
            if error.response.get("error") not in HARMLESS_REACTION_ERRORS:
                raise

    async def _post(self, channel_id: str, payload: dict[str, Any]) -> str:
        unsafe = FORBIDDEN_OPTIONS & payload.keys()
        if unsafe:
            raise ValueError(f"refusing to post with {sorted(unsafe)}: it re-arms mentions")
        async with self._locks[channel_id]:
            await self._wait_turn(channel_id)
            try:
                response = await self.client.chat_postMessage(
                    channel=channel_id,
                    **{**payload, "unfurl_links": False, "unfurl_media": False},
                )
            finally:
                self._last_post[channel_id] = time.monotonic()
        return str(response["ts"])

    async def _wait_turn(self, channel_id: str) -> None:
        last = self._last_post.get(channel_id)
        if last is not None:
            await asyncio.sleep(max(0.0, last + self.min_interval - time.monotonic()))


def _metadata_key(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT_TYPE:
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return key if isinstance(key, str) else None
