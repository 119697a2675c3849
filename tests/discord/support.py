"""Shared test support for the Discord adapter: ids from the captured guild, a recording core."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from adapters.discord.bot import LinkletterDiscord
from bot.events import AddReaction, Author, ChatEvent, MessagePosted, Outcome
from bot.ports import CommandReply, CommandRequest, QueueEntry

GUILD = "135197118292819968"
WATCHED = "263607951971975168"  # "test2" in the GUILD_CREATE capture
UNWATCHED = "263773872204152833"  # "test3"
LOCKED = "135197118292819968"  # "test1": @everyone may not send messages there
EDITOR = "134127815531560960"  # has the "admin" role
EDITOR_ROLE = "136965347994632192"
MEMBER = "400000000000000001"  # humans without roles, added by the fake
OTHER_MEMBER = "400000000000000002"


QUEUE = tuple(
    QueueEntry(
        item_id=n,
        title=f"Item {n}",
        url=f"https://example.org/{n}",
        why=None,
        votes=0,
        section="Links",
        status="draft",
        featured=False,
        digest="weekly",
    )
    for n in (7, 9)
)


@dataclasses.dataclass
class RecordingCore:
    """A ``bot.ports.Core`` that records events, dedups ids and receipts links with 📥."""

    watched: set[str]
    editor_roles: set[str]
    events: list[ChatEvent] = dataclasses.field(default_factory=list)
    checkpoints: dict[str, str] = dataclasses.field(default_factory=dict)
    requests: list[CommandRequest] = dataclasses.field(default_factory=list)
    command_delay: float = 0.0  # seconds the core takes to answer a command
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

    async def handle_batch(self, events: Sequence[ChatEvent]) -> list[Outcome]:
        return [await self.handle(event) for event in events]

    async def command(self, request: CommandRequest) -> CommandReply:
        self.requests.append(request)
        await asyncio.sleep(self.command_delay)
        if request.name == "publish" and not request.confirmed:
            return CommandReply("Publish now?", needs_confirmation=True)
        if request.name == "queue":
            return CommandReply("2 waiting", entries=QUEUE)
        return CommandReply(f"{request.name}: ok", ephemeral=request.name != "publish")

    async def checkpoint(self, channel: str) -> str | None:
        return self.checkpoints.get(channel)

    async def save_checkpoint(self, channel: str, position: str) -> None:
        self.checkpoints[channel] = position

    async def name_resolved(self, user: str, name: str) -> None:
        """Discord events carry their author's name: the adapter never resolves one."""

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


BotFactory = Callable[..., Awaitable[LinkletterDiscord]]


async def settle(client: LinkletterDiscord) -> None:
    """Let dispatches in flight reach the client and the consumer drain."""
    for _ in range(3):
        await asyncio.sleep(0.05)
        await client.idle()
