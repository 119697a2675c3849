"""Fixtures for the Discord adapter: the fake Discord, a recording core, the real client."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fake_discord import FakeDiscord

from adapters.discord.bot import DiscordSettings, LinkletterDiscord, run
from bot.events import AddReaction, Author, ChatEvent, MessagePosted, Outcome
from bot.ports import CommandReply, CommandRequest

GUILD = "135197118292819968"
WATCHED = "263607951971975168"  # "test2" in the GUILD_CREATE capture
UNWATCHED = "263773872204152833"  # "test3"
LOCKED = "135197118292819968"  # "test1": @everyone may not send messages there
EDITOR = "134127815531560960"  # has the "admin" role
EDITOR_ROLE = "136965347994632192"
MEMBER = "183312554389405697"  # role "test" only
OTHER_MEMBER = "136688960289112064"


@dataclasses.dataclass
class RecordingCore:
    """A ``bot.ports.Core`` that records events, dedups ids and receipts links with 📥."""

    watched: set[str]
    editor_roles: set[str]
    events: list[ChatEvent] = dataclasses.field(default_factory=list)
    checkpoints: dict[str, str] = dataclasses.field(default_factory=dict)
    requests: list[CommandRequest] = dataclasses.field(default_factory=list)
    _seen: set[str] = dataclasses.field(default_factory=set)

    def is_watched(self, channel: str) -> bool:
        return channel in self.watched

    def is_editor(self, user: Author) -> bool:
        return bool(self.editor_roles.intersection(user.roles))

    async def handle(self, event: ChatEvent) -> Outcome:
        if event.event_id in self._seen:
            return Outcome(duplicate=True)
        self._seen.add(event.event_id)
        self.events.append(event)
        if isinstance(event, MessagePosted) and "http" in event.text:
            return Outcome(effects=(AddReaction(event.channel, event.message_id, "📥"),))
        return Outcome()

    async def command(self, request: CommandRequest) -> CommandReply:
        self.requests.append(request)
        if request.name == "publish" and not request.confirmed:
            return CommandReply("Publish now?", needs_confirmation=True)
        return CommandReply(f"{request.name}: ok", ephemeral=request.name != "publish")

    async def checkpoint(self, channel: str) -> str | None:
        return self.checkpoints.get(channel)

    async def save_checkpoint(self, channel: str, position: str) -> None:
        self.checkpoints[channel] = position

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


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


BotFactory = Callable[[Any], Awaitable[LinkletterDiscord]]


@pytest.fixture
async def start_bot(fake: FakeDiscord) -> AsyncIterator[BotFactory]:
    """Start the real client against the fake; returns once it is ready and caught up."""
    running: list[tuple[LinkletterDiscord, asyncio.Task[None]]] = []

    async def start(core: Any) -> LinkletterDiscord:
        settings = DiscordSettings(token=fake.token, api_url=fake.api_url,
                                   gateway_url=fake.gateway_url, guild_ready_timeout=0.05,
                                   identify_delay=0)
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


async def settle(client: LinkletterDiscord) -> None:
    """Let dispatches in flight reach the client and the consumer drain."""
    for _ in range(3):
        await asyncio.sleep(0.05)
        await client.idle()
