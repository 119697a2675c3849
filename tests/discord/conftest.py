"""Fixtures for the Discord adapter: the fake Discord, a recording core, the real client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.discord.bot import DiscordSettings, LinkletterDiscord, run
from tests.discord.fake_discord import FakeDiscord
from tests.discord.support import EDITOR_ROLE, WATCHED, BotFactory, RecordingCore, settle


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore(
        watched={f"discord:{WATCHED}"}, editor_roles={f"discord:role:{EDITOR_ROLE}"}
    )


@pytest.fixture
async def start_bot(fake: FakeDiscord) -> AsyncIterator[BotFactory]:
    """Start the real client against the fake; returns once it is ready and caught up."""
    running: list[tuple[LinkletterDiscord, asyncio.Task[None]]] = []

    async def start(core: Any, **overrides: Any) -> LinkletterDiscord:
        settings = DiscordSettings(
            token=fake.token,
            api_url=fake.api_url,
            gateway_url=fake.gateway_url,
            guild_ready_timeout=0.05,
            identify_delay=0,
            **overrides,
        )
        client = LinkletterDiscord(core, settings)
        task = asyncio.create_task(run(client, fake.token))
        running.append((client, task))
        await asyncio.wait_for(client.wait_until_ready(), 5)
        await asyncio.wait_for(client.caught_up.wait(), 5)
        await settle(client)
        return client

    yield start
    for client, task in running:
        await client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
