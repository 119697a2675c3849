"""Backfill against the fake's REST history, driven directly (no gateway)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from discord.http import HTTPClient

from adapters.discord.backfill import REACTION_REFETCH, Backfill, ReactionFetchLimiter
from adapters.discord.bot import configure_endpoints
from bot.events import ChatEvent, MessagePosted, ReactionAdded
from tests.discord.fake_discord import FakeDiscord
from tests.discord.support import EDITOR, EDITOR_ROLE, MEMBER, WATCHED, RecordingCore


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http(fake: FakeDiscord) -> AsyncIterator[HTTPClient]:
    configure_endpoints(fake.api_url, fake.gateway_url)
    client = HTTPClient(asyncio.get_running_loop())
    await client.static_login(fake.token)
    yield client
    await client.close()


async def test_pages_through_history_and_fetches_reaction_users_once_per_10_minutes(
    fake: FakeDiscord, core: RecordingCore, http: HTTPClient
) -> None:
    """reliability rows 7 and 9: every missed message comes back in order across pages; a
    message's reaction users are fetched at most once per 10 minutes however often we look."""
    anchor = fake.user_says(WATCHED, MEMBER, "seen before the outage")
    missed = [fake.user_says(WATCHED, MEMBER, f"https://example.org/{n}") for n in range(150)]
    fake.react(WATCHED, missed[3]["id"], EDITOR, "✅")
    clock = Clock()
    events: list[ChatEvent] = []

    async def sink(event: ChatEvent) -> None:
        events.append(event)

    backfill = Backfill(
        http, core, sink, bot_user_id=fake.bot_user["id"], limiter=ReactionFetchLimiter(clock=clock)
    )

    async def catch_up() -> int:
        await core.save_checkpoint(f"discord:{WATCHED}", anchor["id"])
        return await backfill.channel(WATCHED, guild_id=fake.guild_id, last_message_id=None)

    assert await catch_up() == 150
    assert [e.message_id for e in events if isinstance(e, MessagePosted)] == [
        m["id"] for m in missed
    ]
    (vote,) = [e for e in events if isinstance(e, ReactionAdded)]
    assert vote.user.roles == (f"discord:role:{EDITOR_ROLE}",)
    assert core.checkpoints[f"discord:{WATCHED}"] == missed[-1]["id"]

    def reaction_fetches() -> int:
        return sum(1 for method, path in fake.requests if "/reactions/" in path)

    await catch_up()
    assert reaction_fetches() == 1
    clock.now += REACTION_REFETCH + 1
    await catch_up()
    assert reaction_fetches() == 2


async def test_first_run_starts_at_the_channel_end(
    fake: FakeDiscord, core: RecordingCore, http: HTTPClient
) -> None:
    old = fake.user_says(WATCHED, MEMBER, "https://example.org/ancient")
    events: list[ChatEvent] = []

    async def sink(event: ChatEvent) -> None:
        events.append(event)

    backfill = Backfill(http, core, sink, bot_user_id=fake.bot_user["id"])
    assert await backfill.channel(WATCHED, guild_id=fake.guild_id, last_message_id=old["id"]) == 0
    assert events == []
    assert core.checkpoints[f"discord:{WATCHED}"] == old["id"]
