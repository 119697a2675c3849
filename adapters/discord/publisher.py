"""Posting on Discord: rendered digests, DMs and the core's receipts (``bot.ports.ChatPublisher``).

Requests go through discord.py's ``HTTPClient``, which owns the per-route buckets, the global
limit and 429 retries; this module never retries on its own.

Recognising our own posts (``find_posted``). Discord echoes a message's ``nonce`` only in the
create response and the gateway MESSAGE_CREATE, never in channel history, so the nonce (with
``enforce_nonce``) only protects a retry within Discord's few-minute window. For crash recovery
beyond that, a short marker derived from ``key`` is appended to the last embed's footer, which
history does return; ``find_posted`` searches the bot's recent messages for it. A content-only
payload (no embeds) carries no marker and relies on the nonce alone.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from discord.http import HTTPClient, Route

from adapters.discord.translate import PLATFORM
from bot.capture.emoji import normalise
from bot.digest.render._common import measure
from bot.events import AddReaction, Effect, ReplyInThread

MARKER_PREFIX = "ll:"
MARKER_SEPARATOR = " · "
FOOTER_LIMIT = 2048
EMBEDS_TOTAL_LIMIT = 6000
NONCE_LENGTH = 25  # Discord accepts string nonces up to 25 characters
FIND_POSTED_WINDOW = 50
CUSTOM_EMOJI = re.compile(r"[\w-]+:\d+")  # recent messages searched for a marker


class DiscordPublisher:
    """``ChatPublisher`` for Discord; ``bot_user_id`` is the bot's own user id (from READY)."""

    platform = PLATFORM

    def __init__(self, http: HTTPClient, bot_user_id: str | None = None) -> None:
        self._http = http
        self.bot_user_id = bot_user_id

    async def post(self, channel: str, payload: dict[str, Any], key: str) -> str:
        body = with_marker(payload, key) | {
            "nonce": nonce_for(key),
            "enforce_nonce": True,
            "allowed_mentions": {"parse": []},
        }
        message = await self._http.request(
            Route("POST", "/channels/{channel_id}/messages", channel_id=platform_id(channel)),
            json=body,
        )
        return str(message["id"])

    async def find_posted(self, channel: str, key: str) -> str | None:
        marker = marker_for(key)
        recent: list[Any] = await self._http.logs_from(platform_id(channel), FIND_POSTED_WINDOW)
        for message in recent:
            if self.bot_user_id is not None and message["author"]["id"] != self.bot_user_id:
                continue
            footers = [(e.get("footer") or {}).get("text") or "" for e in message["embeds"]]
            if any(footer.endswith(marker) for footer in footers):
                return str(message["id"])
        return None

    async def direct_message(self, user: str, payload: dict[str, Any]) -> None:
        dm = await self._http.start_private_message(platform_id(user))
        await self._http.request(
            Route("POST", "/channels/{channel_id}/messages", channel_id=dm["id"]),
            json=payload | {"allowed_mentions": {"parse": []}},
        )

    async def apply(self, effect: Effect) -> None:
        channel_id = platform_id(effect.channel)
        if isinstance(effect, AddReaction):
            # The core's receipts are configured as short names ("inbox_tray"); Discord wants
            # the Unicode emoji (or ``name:id`` for a custom one, which passes through).
            custom = CUSTOM_EMOJI.fullmatch(effect.emoji)
            emoji = effect.emoji if custom else normalise(effect.emoji)
            await self._http.add_reaction(channel_id, effect.message_id, emoji.strip(":"))
        elif isinstance(effect, ReplyInThread):
            await self._http.request(
                Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id),
                json={
                    "content": effect.text,
                    "message_reference": {
                        "message_id": effect.message_id,
                        "fail_if_not_exists": False,
                    },
                    "allowed_mentions": {"parse": [], "replied_user": False},
                },
            )


def nonce_for(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:NONCE_LENGTH]


def marker_for(key: str) -> str:
    return MARKER_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:10]


def with_marker(payload: dict[str, Any], key: str) -> dict[str, Any]:
    """A copy of ``payload`` whose last embed footer ends with the key's marker.

    The footer text is shortened as needed so the message stays within Discord's 2,048-char
    footer and 6,000-char embed total (an over-long message is an HTTP 400); when even an empty
    footer leaves no room, the payload goes out unmarked and only the nonce protects it.
    """
    embeds = payload.get("embeds")
    if not embeds:
        return dict(payload)
    marked = copy.deepcopy(payload)
    last = marked["embeds"][-1]
    footer = dict(last.get("footer") or {})
    text = footer.get("text") or ""
    suffix = marker_for(key)
    others = sum(map(_embed_chars, marked["embeds"])) - measure(text)
    room = min(FOOTER_LIMIT, EMBEDS_TOTAL_LIMIT - others) - measure(suffix)
    if room < 0:
        return dict(payload)
    kept = _cut(text, room - measure(MARKER_SEPARATOR))
    footer["text"] = f"{kept}{MARKER_SEPARATOR}{suffix}" if kept else suffix
    last["footer"] = footer
    return marked


def _embed_chars(embed: dict[str, Any]) -> int:
    """What Discord counts towards the 6,000 total: title, description, fields, footer, author."""
    texts = [
        embed.get("title") or "",
        embed.get("description") or "",
        (embed.get("footer") or {}).get("text") or "",
        (embed.get("author") or {}).get("name") or "",
    ]
    for field in embed.get("fields") or []:
        texts += [field.get("name") or "", field.get("value") or ""]
    return sum(map(measure, texts))


def _cut(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` UTF-16 units (never splitting a character)."""
    if limit <= 0:
        return ""
    while measure(text) > limit:
        text = text[: -max(1, (measure(text) - limit) // 2)]
    return text


def platform_id(ref: str) -> str:
    platform, _, ident = ref.partition(":")
    if platform != PLATFORM or not ident:
        raise ValueError(f"not a Discord id: {ref!r}")
    return ident
