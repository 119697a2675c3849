"""The Discord bot: discord.py's gateway client wired to the Linkletter core.

Events. The client taps discord.py's gateway parsers for MESSAGE_CREATE / UPDATE / DELETE and
MESSAGE_REACTION_ADD / REMOVE (the raw-event level: nothing depends on discord.py's message
cache, so reactions and edits on uncached messages are captured without any REST fetch,
reliability row 7). The tap runs synchronously while the dispatch is parsed, which gives three
things the ``on_*`` handlers cannot: the raw ``d`` dict (what ``translate`` reads), the gateway
``session:sequence`` that orders reaction add/remove/add, and strict gateway order (handlers run
as separate tasks). Every tapped dispatch is submitted to the shared event consumer
(``bot.capture.consumer``) as a job that translates it on the consumer, in order (it may look a
thread's parent up); the consumer hands whatever queued up meanwhile to ``core.handle_batch``
(one transaction per burst) and sends the receipts on a task of their own. Backfill goes
through the same consumer, so the core sees events in gateway order.

Endpoints. discord.py reads its REST base from ``discord.http.Route.BASE`` and, for a plain
``Client``, connects to ``DiscordWebSocket.DEFAULT_GATEWAY`` without asking the API (also after
an INVALID_SESSION). Both are class attributes, so ``configure_endpoints`` sets them for the
whole process: one Discord bot per process.

A gateway close with 4014 (MESSAGE_CONTENT not enabled for the application) stops the client
and raises ``DiscordSetupError`` with the fix; there is no reconnect loop (reliability row 8).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.backfill import Backfill, ReactionFetchLimiter
from adapters.discord.publisher import DiscordPublisher
from adapters.discord.translate import (
    MalformedEvent,
    channel_ref,
    message_created,
    message_deleted,
    message_updated,
    reaction_added,
    reaction_removed,
    role_ref,
    snowflake_key,
    user_ref,
)
from bot.capture.consumer import Capture, EventConsumer
from bot.curate.commands import Command, Tone, item_buttons, listed
from bot.events import Author, ChatEvent, ReactionAdded, ReactionRemoved
from bot.ports import CommandReply, CommandRequest, Core, QueueEntry

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"
MESSAGE_CONTENT_FIX = (
    "Discord closed the gateway with 4014: the MESSAGE_CONTENT privileged intent is not enabled "
    "for this application. Fix: Developer Portal -> your application -> Bot -> Privileged "
    "Gateway Intents -> enable 'Message Content Intent', then restart Linkletter."
)

DispatchKind = Literal["create", "update", "delete", "react+", "react-"]
TAPPED: dict[str, DispatchKind] = {
    "MESSAGE_CREATE": "create",
    "MESSAGE_UPDATE": "update",
    "MESSAGE_DELETE": "delete",
    "MESSAGE_REACTION_ADD": "react+",
    "MESSAGE_REACTION_REMOVE": "react-",
}
THREAD_TYPES = (10, 11, 12)  # announcement, public and private threads


class DiscordSetupError(RuntimeError):
    """The bot cannot run until someone changes the Discord application's settings."""


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: str
    api_url: str = DEFAULT_API_URL
    gateway_url: str = DEFAULT_GATEWAY_URL
    guild_ready_timeout: float = 2.0  # discord.py's wait for GUILD_CREATEs after READY
    identify_delay: float = 5.0  # pause before re-IDENTIFYing (Discord allows 1 per 5 s)
    answer_within: float = 2.0  # then a command answer is deferred (Discord allows 3 s)
    shard_id: int | None = None  # with shard_count: this process serves one shard of many
    shard_count: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DiscordSettings:
        """``DISCORD_TOKEN`` (required), ``DISCORD_API_URL``, ``DISCORD_GATEWAY_URL``, and
        ``DISCORD_SHARD_ID`` / ``DISCORD_SHARD_COUNT`` to split guilds across replicas."""
        values = os.environ if env is None else env
        shard_id, shard_count = values.get("DISCORD_SHARD_ID"), values.get("DISCORD_SHARD_COUNT")
        if (shard_id is None) != (shard_count is None):
            raise ValueError("set both DISCORD_SHARD_ID and DISCORD_SHARD_COUNT, or neither")
        return cls(
            token=values["DISCORD_TOKEN"],
            api_url=values.get("DISCORD_API_URL", DEFAULT_API_URL),
            gateway_url=values.get("DISCORD_GATEWAY_URL", DEFAULT_GATEWAY_URL),
            shard_id=int(shard_id) if shard_id is not None else None,
            shard_count=int(shard_count) if shard_count is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Watch:
    """Whether a Discord channel is watched, and the parent when it is a thread."""

    watched: bool
    parent_id: str | None = None


def configure_endpoints(api_url: str, gateway_url: str) -> None:
    Route.BASE = api_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    wanted.guild_reactions = True
    return wanted


class LinkletterDiscord(discord.Client):
    def __init__(self, core: Core, settings: DiscordSettings) -> None:
        configure_endpoints(settings.api_url, settings.gateway_url)
        super().__init__(
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=settings.guild_ready_timeout,
            shard_id=settings.shard_id,
            shard_count=settings.shard_count,
        )
        self.core = core
        self._identify_delay = settings.identify_delay
        self.answer_within = settings.answer_within
        self.publisher = DiscordPublisher(self.http)
        self.tree = app_commands.CommandTree(self)
        self.consumer = EventConsumer(
            core, self.publisher, position_key=snowflake_key, name="discord"
        )
        self._backfill_task: asyncio.Task[None] | None = None
        self._parents: dict[str, str | None] = {}
        self._reaction_fetches = ReactionFetchLimiter()  # shared by every backfill (row 7)
        self.backfills = 0  # fresh sessions seen (each one triggers a backfill)
        self.caught_up = asyncio.Event()  # set when the latest backfill has finished
        _register_commands(self)

    async def setup_hook(self) -> None:
        if self.user is not None:
            self.publisher.bot_user_id = str(self.user.id)
        self._tap_parsers()
        self.consumer.start()
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await asyncio.sleep(self._identify_delay)

    async def close(self) -> None:
        """Stop the backfill, handle what was already dispatched (and send its receipts),
        then disconnect."""
        if self._backfill_task is not None:
            self._backfill_task.cancel()
        await self.consumer.stop()
        await super().close()

    async def on_ready(self) -> None:
        """READY means a fresh session (a RESUME dispatches RESUMED): catch up from history."""
        assert self.user is not None
        self.publisher.bot_user_id = str(self.user.id)
        self.backfills += 1
        self.caught_up.clear()
        self.consumer.behind()  # every channel may have missed messages until backfilled
        self._backfill_task = asyncio.create_task(self._backfill(str(self.user.id)))

    async def idle(self) -> None:
        """Wait until every queued event has been handled and its receipts sent (tests)."""
        await self.consumer.idle()

    # ----- events -----

    def _tap_parsers(self) -> None:
        parsers = self._connection.parsers
        for name, kind in TAPPED.items():
            parsers[name] = functools.partial(self._tap, kind, parsers[name])

    def _tap(self, kind: DispatchKind, parse: Callable[[Any], None], data: Any) -> None:
        ws = self.ws
        delivery = f"{ws.session_id}:{ws.sequence}"
        previous = None
        if kind == "update" and isinstance(data, dict) and str(data.get("id", "")).isdigit():
            cached = self._connection._get_message(int(data["id"]))
            previous = cached.content if cached is not None else None
        at = datetime.now(UTC)
        self.consumer.submit(functools.partial(self._live, kind, data, delivery, at, previous))
        parse(data)

    async def _live(
        self, kind: DispatchKind, data: Any, delivery: str, at: datetime, previous: str | None
    ) -> Capture | None:
        channel_id = str(data.get("channel_id")) if isinstance(data, dict) else ""
        if not channel_id.isdigit():
            log.warning("Discord %s dispatch without a channel: ignored", kind)
            return None
        watch = await self.watch(channel_id)
        if not watch.watched:
            return None
        try:
            event = _translate(kind, data, watch.parent_id, delivery, at, previous)
        except MalformedEvent as exc:
            log.warning("malformed Discord %s dispatch ignored: %s", kind, exc)
            return None
        if event is None or self._is_own_reaction(event):
            return None
        return Capture(event, place=channel_ref(channel_id))

    def _is_own_reaction(self, event: ChatEvent) -> bool:
        """Our own receipt reactions come back through the gateway; they are not votes."""
        if self.user is None or not isinstance(event, ReactionAdded | ReactionRemoved):
            return False
        return event.user.id == user_ref(str(self.user.id))

    async def watch(self, channel_id: str) -> Watch:
        if self.core.is_watched(channel_ref(channel_id)):
            return Watch(True)
        parent = await self.parent_of(channel_id)
        if parent is not None and self.core.is_watched(channel_ref(parent)):
            return Watch(True, parent)
        return Watch(False)

    async def parent_of(self, channel_id: str) -> str | None:
        """A thread's parent channel id (None for other channels).

        From discord.py's cache, else one GET per channel, remembered even when it fails: a
        403 repeated for every event would count towards Discord's invalid-request ban.
        """
        if channel_id not in self._parents:
            channel = self.get_channel(int(channel_id))
            if isinstance(channel, discord.Thread):
                self._parents[channel_id] = str(channel.parent_id)
            elif channel is not None:
                self._parents[channel_id] = None
            else:
                self._parents[channel_id] = await self._fetch_parent(channel_id)
        return self._parents[channel_id]

    async def _fetch_parent(self, channel_id: str) -> str | None:
        try:
            data: Any = await self.http.get_channel(channel_id)
        except discord.HTTPException as exc:
            log.warning("cannot look up Discord channel %s: %s", channel_id, exc)
            return None
        return str(data["parent_id"]) if data.get("type") in THREAD_TYPES else None

    async def _backfill(self, bot_user_id: str) -> None:
        backfill = Backfill(
            self.http,
            self.core,
            self._sink,
            bot_user_id=bot_user_id,
            limiter=self._reaction_fetches,
        )
        try:
            for guild in self.guilds:
                for channel in guild.text_channels:
                    if self.core.is_watched(channel_ref(str(channel.id))):
                        await self._backfill_channel(backfill, guild, channel)
        finally:
            self.caught_up.set()

    async def _backfill_channel(
        self, backfill: Backfill, guild: discord.Guild, channel: discord.TextChannel
    ) -> None:
        """The channel, then its active threads (from the guild's cache) since the bot last saw
        the channel. Archived threads are not synced by Discord and are skipped."""
        parent_seen = await self.core.checkpoint(channel_ref(str(channel.id)))
        places: list[tuple[discord.TextChannel | discord.Thread, str | None]] = [(channel, None)]
        places += [(thread, str(channel.id)) for thread in channel.threads]
        for place, parent_id in places:
            last = str(place.last_message_id) if place.last_message_id else None
            try:
                await backfill.channel(
                    str(place.id),
                    guild_id=str(guild.id),
                    last_message_id=last,
                    parent_id=parent_id,
                    default_after=parent_seen if parent_id else None,
                )
            except Exception:  # one channel's failure must not stop the others' catch-up
                log.exception("Discord backfill of #%s failed", place.name)
            else:
                self.consumer.caught_up(channel_ref(str(place.id)))

    async def _sink(self, event: ChatEvent) -> None:
        """A backfilled event, through the consumer (backfill saves its own checkpoints)."""
        await self.consumer.process(Capture(event))


def _translate(
    kind: DispatchKind,
    data: dict[str, Any],
    parent_id: str | None,
    delivery: str,
    at: datetime,
    previous: str | None,
) -> ChatEvent | None:
    match kind:
        case "create":
            return message_created(data, parent_id=parent_id)
        case "update":
            return message_updated(data, parent_id=parent_id, previous_content=previous)
        case "delete":
            return message_deleted(data, at=at, parent_id=parent_id)
        case "react+":
            return reaction_added(data, at=at, delivery=delivery, parent_id=parent_id)
        case "react-":
            return reaction_removed(data, at=at, delivery=delivery, parent_id=parent_id)


# ----- slash commands and the message shortcut -----


def _register_commands(client: LinkletterDiscord) -> None:
    group = app_commands.Group(name="linkletter", description="Linkletter: the weekly digest")
    for command in listed():
        group.add_command(_subcommand(client, command))
    client.tree.add_command(group)
    client.tree.add_command(_message_shortcut(client))


def _subcommand(
    client: LinkletterDiscord, command: Command
) -> app_commands.Command[Any, Any, None]:
    async def callback(interaction: discord.Interaction, text: str = "") -> None:
        request = await _request(client, interaction, command.name, text)
        await _answer(client, interaction, request)

    if command.usage:  # what to type in the ``text`` option, as help writes it
        app_commands.describe(text=command.usage)(callback)
    return app_commands.Command(name=command.name, description=command.summary, callback=callback)


def _message_shortcut(client: LinkletterDiscord) -> app_commands.ContextMenu:
    async def callback(interaction: discord.Interaction, message: discord.Message) -> None:
        await _add_message(client, interaction, message)

    return app_commands.ContextMenu(name="Add to digest", callback=callback)


async def _add_message(
    client: LinkletterDiscord, interaction: discord.Interaction, message: discord.Message
) -> None:
    """The "Add to digest" message shortcut: the raw message is in the interaction's data."""
    data: Any = interaction.data or {}
    resolved = data.get("resolved", {})
    raw = resolved.get("messages", {}).get(str(message.id))
    watch = await client.watch(str(message.channel.id))
    try:
        captured = (
            message_created(raw | {"guild_id": interaction.guild_id}, parent_id=watch.parent_id)
            if raw
            else None
        )
    except MalformedEvent:
        captured = None
    request = await _request(client, interaction, "add", "")
    await _answer(client, interaction, dataclasses.replace(request, message=captured))


async def _request(
    client: LinkletterDiscord, interaction: discord.Interaction, name: str, text: str
) -> CommandRequest:
    channel_id = str(interaction.channel_id)
    parent = await client.parent_of(channel_id)
    return CommandRequest(
        name=name,
        args=text,
        user=_interaction_author(interaction),
        channel=channel_ref(parent or channel_id),
        platform="discord",
    )


def _interaction_author(interaction: discord.Interaction) -> Author:
    user = interaction.user
    roles: tuple[str, ...] = ()
    if isinstance(user, discord.Member):
        roles = tuple(role_ref(str(r.id)) for r in user.roles if not r.is_default())
    return Author(id=user_ref(str(user.id)), name=user.display_name, roles=roles, is_bot=user.bot)


async def _answer(
    client: LinkletterDiscord, interaction: discord.Interaction, request: CommandRequest
) -> None:
    reply = await _ask_core(
        client,
        request,
        functools.partial(interaction.response.defer, ephemeral=True, thinking=True),
    )
    extra: dict[str, Any] = {}
    if reply.needs_confirmation:
        extra["view"] = ConfirmView(client, request)
    elif reply.entries:
        extra["view"] = QueueView(client, request, reply.entries)
    await _send(interaction, reply.text, ephemeral=reply.ephemeral, **extra)


async def _ask_core(
    client: LinkletterDiscord, request: CommandRequest, acknowledge: Callable[[], Awaitable[Any]]
) -> CommandReply:
    """The core's answer; ``acknowledge`` first if it is slow (a preview, a publish).

    Discord drops an interaction not acknowledged within 3 s; when the core has not answered
    within ``answer_within`` the interaction is deferred and answered by a follow-up (commands
    defer ephemerally, "thinking…", since the answer's visibility is not known yet).
    """
    pending = asyncio.ensure_future(client.core.command(request))
    done, _ = await asyncio.wait({pending}, timeout=client.answer_within)
    if not done:
        await acknowledge()
    return await pending


async def _send(
    interaction: discord.Interaction, text: str, *, ephemeral: bool, **extra: Any
) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=ephemeral, **extra)
    else:
        await interaction.response.send_message(text, ephemeral=ephemeral, **extra)


class ConfirmView(discord.ui.View):
    """One "Confirm" button that re-sends the request with ``confirmed=True``."""

    def __init__(self, client: LinkletterDiscord, request: CommandRequest) -> None:
        super().__init__(timeout=600)
        self._client = client
        self._request = request

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction, _button: discord.ui.Button[ConfirmView]
    ) -> None:
        if user_ref(str(interaction.user.id)) != self._request.user.id:
            await interaction.response.send_message(
                "Only the requester can confirm.", ephemeral=True
            )
            return
        confirmed = dataclasses.replace(self._request, confirmed=True)
        reply = await _ask_core(self._client, confirmed, interaction.response.defer)
        self.stop()
        if interaction.response.is_done():
            await interaction.edit_original_response(content=reply.text, view=None)
        else:
            await interaction.response.edit_message(content=reply.text, view=None)


async def run(client: LinkletterDiscord, token: str) -> None:
    """Log in, connect and serve until closed; 4014 -> ``DiscordSetupError`` (no retry loop)."""
    async with client:
        try:
            await client.start(token)
        except discord.PrivilegedIntentsRequired as exc:
            log.error(MESSAGE_CONTENT_FIX)
            raise DiscordSetupError(MESSAGE_CONTENT_FIX) from exc
        except discord.LoginFailure as exc:
            raise DiscordSetupError(
                "Discord rejected the bot token. Fix: Developer Portal -> Bot -> Reset Token, "
                "and set DISCORD_TOKEN."
            ) from exc


STYLES = {
    Tone.go: discord.ButtonStyle.success,
    Tone.stop: discord.ButtonStyle.danger,
    Tone.plain: discord.ButtonStyle.primary,
}
QUEUE_ROWS = 5  # Discord allows five rows of buttons per message


class QueueView(discord.ui.View):
    """Approve / Reject / Feature buttons for the first queue entries (one row each).

    A press becomes ``CommandRequest(name=<action>, args=<item id>)`` from whoever pressed it;
    the core decides whether that user may do it.
    """

    def __init__(
        self, client: LinkletterDiscord, request: CommandRequest, entries: tuple[QueueEntry, ...]
    ) -> None:
        super().__init__(timeout=900)
        for row, entry in enumerate(entries[:QUEUE_ROWS]):
            for command in item_buttons():
                self.add_item(
                    _QueueButton(
                        client,
                        request,
                        command.name,
                        entry.item_id,
                        label=f"{command.button} {entry.item_id}",
                        style=STYLES[command.tone],
                        row=row,
                    )
                )


class _QueueButton(discord.ui.Button[QueueView]):
    def __init__(
        self,
        client: LinkletterDiscord,
        request: CommandRequest,
        action: str,
        item_id: int,
        *,
        label: str,
        style: discord.ButtonStyle,
        row: int,
    ) -> None:
        super().__init__(
            label=label, style=style, row=row, custom_id=f"linkletter:{action}:{item_id}"
        )
        self._client = client
        self._request = request
        self._action = action
        self._item_id = item_id

    async def callback(self, interaction: discord.Interaction) -> None:
        """An editor's press redraws the queue message (the decision on top); anyone else
        gets the core's answer privately."""
        user = _interaction_author(interaction)
        request = dataclasses.replace(
            self._request, name=self._action, args=str(self._item_id), user=user
        )
        if not self._client.core.is_editor(user):
            reply = await _ask_core(
                self._client,
                request,
                functools.partial(interaction.response.defer, ephemeral=True, thinking=True),
            )
            await _send(interaction, reply.text, ephemeral=True)
            return
        reply = await _ask_core(self._client, request, interaction.response.defer)
        queue_request = dataclasses.replace(request, name="queue", args="")
        queue = await self._client.core.command(queue_request)
        text = f"{reply.text}\n{queue.text}"[:2000]
        view = QueueView(self._client, queue_request, queue.entries) if queue.entries else None
        if interaction.response.is_done():
            await interaction.edit_original_response(content=text, view=view)
        else:
            await interaction.response.edit_message(content=text, view=view)
