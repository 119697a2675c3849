"""The live Matrix connection: a ``/sync`` loop feeding the core.

One task long-polls ``/sync`` and hands each response's events, in order, to the shared
``bot.capture.consumer.EventConsumer`` (batches to ``core.handle_batch``; receipts on its own
task, so a receipt waiting out a 429 never holds up capture), and waits until they are stored.
The sync token is the checkpoint (``SYNC_CHECKPOINT``), saved only after the events before it
were handled, so a crash repeats events (dropped by the core by event id) and never skips any.
After downtime the next sync starts from the checkpoint; a room whose timeline came back
``limited`` (more happened than one response holds) has its gap read with ``/messages`` from
the timeline's ``prev_batch`` back to the checkpoint.

Invites to configured rooms are accepted, others declined. An end-to-end encrypted room is
reported (its messages cannot be read: Linkletter has no E2E keys). ``!linkletter <command>``
messages are answered to the caller: in the room as a reply, or privately (a direct room) when
the answer is for the caller only.

Reaction redactions. A redaction names only the event it removes; a reaction's target and key
are gone from a redacted event, so each reaction seen is remembered (in memory, and durably
through ``core.save_checkpoint`` under ``matrix:reaction:<event id>``) to turn its redaction
into ``ReactionRemoved``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.routing import BaseRoute

from adapters.matrix.client import SYNC_TIMEOUT_MS, MatrixClient
from adapters.matrix.members import Members, power_thresholds
from adapters.matrix.platform import position_key
from adapters.matrix.publisher import MatrixPublisher
from adapters.matrix.render import text_notice
from adapters.matrix.rooms import Rooms
from adapters.matrix.settings import MatrixSettings, log_in
from adapters.matrix.translate import (
    PLATFORM,
    MalformedEvent,
    ReactionKey,
    RoomView,
    reaction_key,
    ref,
    timestamp,
    translate,
)
from bot.capture.consumer import Capture, EventConsumer
from bot.curate.commands import parse_command_text
from bot.events import ChatEvent
from bot.ports import CommandRequest, Core

log = logging.getLogger(__name__)

SYNC_CHECKPOINT = f"{PLATFORM}:sync"
REACTION_CHECKPOINT = f"{PLATFORM}:reaction:"
COMMAND_PREFIX = "!linkletter"
CONFIRM_WORD = "confirm"
TIMELINE_LIMIT = 50
GAP_PAGE = 100
MAX_GAP_PAGES = 50  # 5,000 events per room and outage; older ones stay unread (logged)
COMMAND_MAX_AGE = timedelta(minutes=10)
RETRY_SECONDS = (1, 2, 5, 10, 30)  # waits between failed syncs
SYNC_FILTER = json.dumps(
    {
        "presence": {"types": []},
        "account_data": {"types": []},
        "room": {
            "timeline": {"limit": TIMELINE_LIMIT},
            "ephemeral": {"types": []},
            "account_data": {"types": []},
        },
    }
)


def encode_position(sequence: int, token: str) -> str:
    """A checkpoint that sorts by save order (sync tokens themselves are opaque)."""
    return f"{sequence:012d}:{token}"


def decode_position(position: str | None) -> tuple[int, str | None]:
    if not position or ":" not in position:
        return 0, None
    sequence, _, token = position.partition(":")
    return (int(sequence), token) if sequence.isdigit() else (0, None)


class MatrixConnection:
    """``bot.platform.Connection`` for one bot account."""

    def __init__(
        self,
        core: Core,
        settings: MatrixSettings,
        channels: Iterable[str],
        *,
        publish_to: Iterable[str] = (),
        editors: Iterable[str] = (),
    ) -> None:
        self.core = core
        self.settings = settings
        self.client = MatrixClient.open(settings.homeserver, settings.access_token or "")
        self.rooms = Rooms(self.client, [*channels, *publish_to])
        self.members = Members(power_thresholds(editors))
        self.own_user = ""
        # The runner wires the publisher into the engine before ``start``; it learns the bot's
        # own user id (whoami) when the connection starts.
        self.publisher = MatrixPublisher(self.client, self.rooms, own_user="")
        self.reactions: dict[str, ReactionKey] = {}
        self.encrypted_reported: set[str] = set()
        self.left: set[str] = set()  # configured rooms the bot was removed from
        self._sequence = 0
        self._token: str | None = None
        self._synced = False
        self._loop: asyncio.Task[None] | None = None
        self._consumer: EventConsumer | None = None
        self._answered: set[str] = set()
        self._commands: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return []  # the bot connects out (``/sync``); nothing calls in

    async def start(self) -> None:
        """Log in, resolve and join the configured rooms, catch up, then sync in the background."""
        await log_in(self.client, self.settings)
        self.own_user = str((await self.client.whoami())["user_id"])
        self.publisher.own_user = self.own_user
        self._consumer = EventConsumer(
            self.core, self.publisher, position_key=position_key, name="matrix"
        )
        self._consumer.start()
        await self.rooms.resolve()
        await self._join_configured()
        self._sequence, self._token = decode_position(await self.core.checkpoint(SYNC_CHECKPOINT))
        await self.sync_once(timeout_ms=0)  # catch up before reporting started
        self._loop = asyncio.create_task(self._sync_forever(), name="matrix-sync")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        await asyncio.gather(*self._commands, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
        await self.client.close()

    def is_connected(self) -> bool:
        return self._synced

    async def _join_configured(self) -> None:
        joined = set(await self.client.joined_rooms())
        for room_id in self.rooms.room_ids():
            if room_id in joined:
                continue
            try:
                await self.client.join(room_id)
            except Exception as exc:  # not invited, or banned: doctor says what to do
                log.warning("cannot join %s: %s (invite the bot)", self.rooms.channel(room_id), exc)

    # -- the sync loop -----------------------------------------------------------------------
    async def _sync_forever(self) -> None:
        failures = 0
        while True:
            try:
                await self.sync_once(timeout_ms=SYNC_TIMEOUT_MS)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._synced = False
                wait = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("Matrix sync failed (%s); retrying in %ss", exc, wait)
                await asyncio.sleep(wait)

    async def sync_once(self, timeout_ms: int) -> None:
        """One ``/sync``: invites, removals, then every joined room's events; then the token."""
        since = self._token
        response = await self.client.sync(since, timeout_ms, SYNC_FILTER)
        rooms = response.get("rooms") or {}
        await self._invites(rooms.get("invite") or {})
        self._removals(rooms.get("leave") or {})
        events: list[ChatEvent] = []
        for room_id, room in (rooms.get("join") or {}).items():
            events += await self._room_events(room_id, room, since)
        await self._handle(events)
        self._sequence += 1
        self._token = str(response["next_batch"])
        await self.core.save_checkpoint(
            SYNC_CHECKPOINT, encode_position(self._sequence, self._token)
        )
        self._synced = True

    async def _invites(self, invites: Mapping[str, Any]) -> None:
        for room_id in invites:
            if self.rooms.is_configured(room_id):
                log.info("accepting the invite to %s", self.rooms.channel(room_id))
                await self.client.join(room_id)
                self.left.discard(room_id)
            else:
                log.info("declining an invite to %s: not in the config", room_id)
                await self.client.leave(room_id)

    def _removals(self, left: Mapping[str, Any]) -> None:
        for room_id in left:
            if self.rooms.is_configured(room_id) and room_id not in self.left:
                self.left.add(room_id)
                log.error(
                    "the bot was removed from %s: nothing is captured or posted there until it "
                    "is invited again",
                    self.rooms.channel(room_id),
                )

    async def _room_events(
        self, room_id: str, room: Mapping[str, Any], since: str | None
    ) -> list[ChatEvent]:
        for state in (room.get("state") or {}).get("events") or []:
            await self._learn(room_id, state)
        timeline = room.get("timeline") or {}
        raw = list(timeline.get("events") or [])
        if timeline.get("limited") and since and timeline.get("prev_batch"):
            raw = await self._gap(room_id, str(timeline["prev_batch"]), since) + raw
        found: list[ChatEvent] = []
        for event in raw:
            if "state_key" in event:
                await self._learn(room_id, event)
            elif (translated := await self._translate(room_id, event)) is not None:
                found.append(translated)
        self._report_encryption(room_id)
        return found

    async def _gap(self, room_id: str, start: str, since: str) -> list[dict[str, Any]]:
        """The events between the checkpoint and a limited timeline, oldest first."""
        pages: list[dict[str, Any]] = []
        token: str | None = start
        for _ in range(MAX_GAP_PAGES):
            page = await self.client.messages(room_id, token, limit=GAP_PAGE, to=since)
            chunk = page.get("chunk") or []
            pages += chunk
            token = page.get("end")
            if not chunk or not token:
                return list(reversed(pages))
        log.warning(
            "%s: more than %d events missed; the oldest are not read",
            self.rooms.channel(room_id),
            MAX_GAP_PAGES * GAP_PAGE,
        )
        return list(reversed(pages))

    async def _learn(self, room_id: str, event: Mapping[str, Any]) -> None:
        renamed = self.members.learn(room_id, event)
        if renamed is not None:
            await self.core.name_resolved(ref(renamed[0]), renamed[1])

    def _report_encryption(self, room_id: str) -> None:
        if self.members.room(room_id).encrypted and room_id not in self.encrypted_reported:
            self.encrypted_reported.add(room_id)
            log.error(
                "%s is end-to-end encrypted: Linkletter cannot read or post there "
                "(no E2E support); use an unencrypted room",
                self.rooms.channel(room_id),
            )

    async def _translate(self, room_id: str, event: dict[str, Any]) -> ChatEvent | None:
        if self._command(room_id, event):
            return None
        found = reaction_key(event)
        if found is not None:
            await self._remember_reaction(*found)
        redacts = event.get("redacts") or (event.get("content") or {}).get("redacts")
        if event.get("type") == "m.room.redaction" and isinstance(redacts, str):
            await self._recall_reaction(redacts)
        view = RoomView(
            channel=self.rooms.channel(room_id),
            room_id=room_id,
            own_user=self.own_user,
            author=lambda user: self.members.author(room_id, user),
            reactions=self.reactions,
        )
        try:
            translated = translate(event, view)
        except MalformedEvent as error:
            log.warning("dropping malformed Matrix event %s: %s", event.get("event_id"), error)
            return None
        if translated is None or not self.core.is_watched(translated.channel):
            return None
        return translated

    async def _remember_reaction(self, event_id: str, key: ReactionKey) -> None:
        self.reactions[event_id] = key
        position = "\n".join([key.message_id, key.user, key.emoji])
        if len(position) <= 100 and len(REACTION_CHECKPOINT + event_id) <= 100:
            await self.core.save_checkpoint(REACTION_CHECKPOINT + event_id, position)

    async def _recall_reaction(self, event_id: str) -> None:
        if event_id in self.reactions:
            return
        stored = await self.core.checkpoint(REACTION_CHECKPOINT + event_id)
        parts = stored.split("\n") if stored else []
        if len(parts) == 3:
            self.reactions[event_id] = ReactionKey(*parts)

    async def _handle(self, events: Sequence[ChatEvent]) -> None:
        """Hand the events to the shared consumer and wait until all are stored; raises if a
        batch failed, so the sync token is not saved past a lost event."""
        assert self._consumer is not None  # started
        waits = [asyncio.ensure_future(self._consumer.process(Capture(e))) for e in events]
        await asyncio.gather(*waits)

    # -- commands ----------------------------------------------------------------------------
    def _command(self, room_id: str, event: Mapping[str, Any]) -> bool:
        """Start answering ``!linkletter …`` (never captured); True if the event was one.

        The answer runs on its own task: a command waiting for the core or a 429 does not hold
        up capture. Commands from before the bot started are not answered (a first start reads
        the rooms' recent history).
        """
        content = event.get("content") or {}
        body = content.get("body")
        if event.get("type") != "m.room.message" or not isinstance(body, str):
            return False
        prefix, _, text = body.strip().partition(" ")
        if prefix != COMMAND_PREFIX or event.get("sender") == self.own_user:
            return False
        event_id = str(event.get("event_id"))
        if event_id not in self._answered and _age(event) <= COMMAND_MAX_AGE:
            self._answered.add(event_id)
            request = self._request(room_id, str(event["sender"]), text)
            task = asyncio.create_task(self._answer(request, room_id, event_id))
            self._commands.add(task)
            task.add_done_callback(self._commands.discard)
        return True

    async def _answer(self, request: CommandRequest, room_id: str, event_id: str) -> None:
        try:
            reply = await self.core.command(request)
            text = reply.text
            if reply.needs_confirmation:
                again = f"{COMMAND_PREFIX} {request.name} {request.args}".rstrip()
                text += f"\nSend `{again} {CONFIRM_WORD}` to go ahead."
            if reply.ephemeral:
                await self.publisher.direct_message(request.user.id, text_notice(text))
            else:
                await self.publisher.reply(self.rooms.channel(room_id), event_id, text)
        except Exception:
            log.exception("Matrix command %s from %s not answered", request.name, request.user.id)

    def _request(self, room_id: str, sender: str, text: str) -> CommandRequest:
        name, args = parse_command_text(text)
        confirmed = args == CONFIRM_WORD or args.endswith(f" {CONFIRM_WORD}")
        if confirmed:
            args = args.removesuffix(CONFIRM_WORD).strip()
        rooms = [room_id] if self.rooms.is_configured(room_id) else self.rooms.room_ids()
        return CommandRequest(
            name=name,
            args=args,
            user=self.members.strongest(rooms, sender),
            channel=self.rooms.channel(room_id),
            platform=PLATFORM,
            confirmed=confirmed,
        )


def _age(event: Mapping[str, Any]) -> timedelta:
    try:
        return datetime.now(UTC) - timestamp(event)
    except MalformedEvent:
        return timedelta.max
