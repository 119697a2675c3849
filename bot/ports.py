"""The two seams between the core and the chat adapters.

``Core`` is what an adapter calls (it is implemented in ``bot.curate.service``);
``ChatPublisher`` is what an adapter provides so the core can post digests and receipts.
Neither mentions a platform SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.events import Author, ChatEvent, Effect, Outcome


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """``/linkletter <name> <args>`` or a button press, from a user in a channel.

    ``name`` is one of ``bot.curate.commands.COMMANDS`` (any other gets the help);
    ``platform`` is the name of the platform it came from (``bot.platforms``), or ``"cli"``.
    ``message`` is set for the "Add to digest" message shortcut: the message to capture.
    ``confirmed`` is True when the user already confirmed a publish.
    """

    name: str
    args: str
    user: Author
    channel: str
    platform: str
    message: ChatEvent | None = None
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class QueueEntry:
    item_id: int
    title: str
    url: str
    why: str | None
    votes: int
    section: str
    status: str
    featured: bool
    digest: str


@dataclass(frozen=True, slots=True)
class CommandReply:
    """What to show the user. ``ephemeral`` replies are for the caller only.

    ``needs_confirmation`` asks the adapter to show a confirm button that re-sends the request
    with ``confirmed=True``; ``entries`` carries a queue for adapters that draw buttons.
    """

    text: str
    ephemeral: bool = True
    needs_confirmation: bool = False
    entries: tuple[QueueEntry, ...] = field(default=())


# Events an adapter hands ``Core.handle_batch`` at most at once: what queued up while the core
# was busy. 50 keeps a batch's transaction short and its memory small, and ingests ~1,300 link
# shares/s on SQLite (100: ~1,500/s, 25: ~900/s; ``python -m bench.ingest``).
MAX_BATCH = 50


class Core(Protocol):
    def is_watched(self, channel: str) -> bool: ...

    def is_editor(self, user: Author) -> bool: ...

    async def handle(self, event: ChatEvent) -> Outcome: ...

    async def handle_batch(self, events: Sequence[ChatEvent]) -> list[Outcome]:
        """Handle events in order, in one transaction; a bad one is skipped, not fatal."""
        ...

    async def command(self, request: CommandRequest) -> CommandReply: ...

    async def checkpoint(self, channel: str) -> str | None:
        """The last platform message id / ts seen in a channel (for backfill after downtime)."""
        ...

    async def save_checkpoint(self, channel: str, position: str) -> None: ...

    async def name_resolved(self, user: str, name: str) -> None:
        """A user's display name, learnt by the adapter after (or apart from) their events:
        stored, and shown on their earlier shares too."""
        ...


class ChatPublisher(Protocol):
    """Posts on one platform. ``channel``/``user`` are ``platform:id`` strings."""

    platform: str

    async def post(self, channel: str, payload: dict[str, Any], key: str) -> str:
        """Post one rendered message; return its platform message id.

        ``key`` is unique per (digest, issue, destination, part): the adapter attaches it (in
        the platform's message metadata or nonce, see its publisher) so ``find_posted`` can
        recognise the message.
        """
        ...

    async def find_posted(self, channel: str, key: str) -> str | None:
        """The id of a message this bot already posted with ``key``, if any (crash recovery)."""
        ...

    async def direct_message(self, user: str, payload: dict[str, Any]) -> None: ...

    async def apply(self, effect: Effect) -> None:
        """Carry out a receipt (reaction or thread reply) the core asked for."""
        ...
