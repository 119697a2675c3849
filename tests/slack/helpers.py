"""Shared pieces of the Slack tests: fixture loading, ids, and a recording ``Core``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from adapters.slack.connection import SlackAdapter
from adapters.slack.settings import SlackSettings
from bot.events import AddReaction, Author, ChatEvent, MessagePosted, Outcome
from bot.ports import CommandReply, CommandRequest, Core
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack

FIXTURES = Path(__file__).parents[1] / "fixtures" / "slack"
WATCHED = "C0WATCHED"
OTHER = "C0OTHER"
EDITOR = "UEDITOR"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class RecordingCore:
    """A stand-in for ``bot.curate.service`` implementing ``bot.ports.Core``: it records what it
    gets, drops repeated event ids, and asks for a receipt on each new human message with a link."""

    watched: set[str] = field(default_factory=lambda: {f"slack:{WATCHED}"})
    editors: set[str] = field(default_factory=lambda: {f"slack:{EDITOR}"})
    deliveries: list[ChatEvent] = field(default_factory=list)
    events: list[ChatEvent] = field(default_factory=list)
    commands: list[CommandRequest] = field(default_factory=list)
    checkpoints: dict[str, str] = field(default_factory=dict)
    reply: CommandReply = field(default_factory=lambda: CommandReply(text="done"))
    gate: asyncio.Event | None = None  # when set, handle() waits for it (a stalled core)
    batches: list[int] = field(default_factory=list)  # the size of each handle_batch call
    names: dict[str, str] = field(default_factory=dict)  # name_resolved, by user

    def is_watched(self, channel: str) -> bool:
        return channel in self.watched

    def is_editor(self, user: Author) -> bool:
        return user.id in self.editors

    async def handle(self, event: ChatEvent) -> Outcome:
        if self.gate is not None:
            await self.gate.wait()
        self.deliveries.append(event)
        if any(seen.event_id == event.event_id for seen in self.events):
            return Outcome(duplicate=True)
        self.events.append(event)
        if isinstance(event, MessagePosted) and not event.author.is_bot and "http" in event.text:
            return Outcome(effects=(AddReaction(event.channel, event.message_id, "📥"),))
        return Outcome()

    async def handle_batch(self, events: Sequence[ChatEvent]) -> list[Outcome]:
        self.batches.append(len(events))
        return [await self.handle(event) for event in events]

    async def command(self, request: CommandRequest) -> CommandReply:
        self.commands.append(request)
        return self.reply

    async def checkpoint(self, channel: str) -> str | None:
        return self.checkpoints.get(channel)

    async def save_checkpoint(self, channel: str, position: str) -> None:
        self.checkpoints[channel] = position

    async def name_resolved(self, user: str, name: str) -> None:
        self.names[user] = name


def in_channel(payload: dict[str, Any], channel: str = WATCHED) -> dict[str, Any]:
    """A recorded payload moved into one of the fake's channels."""
    event = {**payload["event"], "channel": channel}
    return {**payload, "event": event}


def settings_for(fake: FakeSlack, *, socket_mode: bool) -> SlackSettings:
    return SlackSettings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        app_token=APP_TOKEN if socket_mode else None,
        api_url=fake.api_url,
        backfill_interval=0.0,
    )


def make_adapter(fake: FakeSlack, core: Core, *, socket_mode: bool) -> SlackAdapter:
    return SlackAdapter(
        core, settings_for(fake, socket_mode=socket_mode), channels=[f"slack:{WATCHED}"]
    )


@dataclass
class HttpApp:
    adapter: SlackAdapter
    url: str


async def serve(routes: list[Route]) -> AsyncIterator[str]:
    """Serve the routes with uvicorn on an ephemeral 127.0.0.1 port; yield its base URL."""
    config = uvicorn.Config(
        Starlette(routes=routes), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await FakeSlack.wait_for(lambda: server.started)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
