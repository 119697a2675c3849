"""The Slack app: slack-bolt's ``AsyncApp`` wired to the core.

Socket Mode when ``SLACK_APP_TOKEN`` is set; otherwise Slack POSTs to ``/slack/events``, which
:meth:`SlackAdapter.routes` provides for the web server to mount. Every listener acks at once and
hands its work on (events to the shared event consumer; commands are answered through
``response_url``), so Slack always gets its answer within 3 s. Retries (``X-Slack-Retry-Num``)
are processed like first deliveries: the core drops duplicates by ``event_id``, durably, and a
retry may be the only copy.

Usage from ``linkletter run``::

    settings = SlackSettings.from_env(backfill_interval=config.slack.backfill_interval_seconds)
    sources = [channel for digest in config.digests for channel in digest.sources]
    adapter = SlackAdapter(core, settings, channels=sources)   # non-Slack ids are ignored
    routes = adapter.routes()          # mount in the Starlette app (HTTP events mode)
    await adapter.start()              # consumer task, backfill, Socket Mode if configured
    ...
    await adapter.stop()
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine, Iterable
from dataclasses import replace
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from starlette.routing import Route

from adapters.slack.backfill import Backfiller
from adapters.slack.commands import (
    ACTION_PREFIX,
    ITEM_ACTIONS,
    home_view,
    queue_update,
    reply_message,
    request_from,
    request_from_action,
)
from adapters.slack.endpoint import SlackEndpoint
from adapters.slack.names import UserNames
from adapters.slack.publisher import SlackPublisher
from adapters.slack.settings import SlackSettings, make_client
from adapters.slack.translate import MalformedEvent, message_event, slack_id, translate, ts_key
from bot.capture.consumer import Capture, EventConsumer
from bot.curate.commands import parse_command_text
from bot.events import Author
from bot.ports import CommandRequest, Core

log = logging.getLogger(__name__)

SHORTCUT_CALLBACK_ID = "add_to_digest"
HELLO = (
    "Hi! I collect the links shared here for the newsletter. A 📥 reaction means a link is in; "
    "add a reply starting with “why this matters” to say why it's worth reading. "
    "`/linkletter help` for more."
)


class SlackAdapter:
    """One Slack workspace: listeners, the event consumer, the publisher and the backfill."""

    def __init__(
        self,
        core: Core,
        settings: SlackSettings,
        channels: Iterable[str] = (),
    ) -> None:
        self.core = core
        self.settings = settings
        self.channels = [channel for channel in channels if channel.startswith("slack:")]
        self.client = make_client(settings)
        self.publisher = SlackPublisher(self.client)
        self.names = UserNames(self.client, core)
        self.consumer = EventConsumer(
            core,
            self.publisher,
            position_key=ts_key,
            after_store=self.names.notice,  # a resolved name fixes these shares too
            name="slack",
        )
        self.backfiller = Backfiller(
            self.client,
            core,
            self.consumer,
            min_interval=settings.backfill_interval,
        )
        # Unhandled requests go to the endpoint's error handler (200 and a log line) instead
        # of bolt's 404, which Slack would retry.
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.signing_secret,
            raise_error_for_unhandled_request=True,
            # bolt copies the root logger's level (INFO under `linkletter run`) unless given a
            # logger: "slack_bolt" has the level bot.app.logs.configure chose for libraries
            logger=logging.getLogger("slack_bolt"),
        )
        self.endpoint = SlackEndpoint(self.app, settings.signing_secret)
        self._socket: AsyncSocketModeHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._greeted: set[str] = set()
        self._connections = 0
        self._register()

    # -- lifecycle ---------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        """``POST /slack/events`` (events, commands, shortcuts, buttons) for HTTP mode."""
        return [Route("/slack/events", self.endpoint.handle, methods=["POST"])]

    async def start(self) -> None:
        """Start the consumer, backfill the watched channels, connect Socket Mode if configured."""
        self.consumer.start()
        self._spawn(self.backfiller.run(self.channels))
        if self.settings.app_token:
            self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token)
            self._socket.client.message_listeners.append(self._on_socket_message)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]  # untyped in bolt

    def is_connected(self) -> bool:
        """For readiness probes: the Socket Mode connection is open (always True over HTTP,
        where Slack connects to us)."""
        if not self.settings.app_token:
            return True
        client = self._socket.client if self._socket is not None else None
        session = client.current_session if client is not None else None
        return (
            client is not None and not client.closed and session is not None and not session.closed
        )

    async def catch_up(self) -> None:
        """Backfill the watched channels now. Socket Mode does this after each reconnect by
        itself; in HTTP mode call it after a known outage (or on a timer) to close a gap."""
        await self.backfiller.run(self.channels)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]  # untyped in bolt
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.consumer.stop()
        await self.names.stop()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_socket_message(
        self,
        client: AsyncBaseSocketModeClient,
        message: dict[str, Any],
        raw: str | None,
    ) -> None:
        """Each ``hello`` after the first means a reconnect: read what was missed meanwhile."""
        if message.get("type") != "hello":
            return
        self._connections += 1
        if self._connections > 1:
            log.info("Slack Socket Mode reconnected; backfilling watched channels")
            self._spawn(self.backfiller.run(self.channels))

    # -- listeners ---------------------------------------------------------------------------
    def _register(self) -> None:
        for event_type in ("message", "reaction_added", "reaction_removed"):
            self.app.event(event_type)(self._on_chat_event)
        self.app.event("member_joined_channel")(self._on_member_joined)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.event("user_change")(self._on_user_change)
        # Anything else is acknowledged and ignored: a 404 would make Slack retry it, and
        # subscriptions that keep failing get disabled.
        self.app.event(re.compile(".*"))(self._ignore)
        self.app.command("/linkletter")(self._on_command)
        self.app.shortcut(SHORTCUT_CALLBACK_ID)(self._on_add_shortcut)
        self.app.action(re.compile(f"^{ACTION_PREFIX}"))(self._on_action)

    async def _ignore(self) -> None:
        """Nothing to do; bolt acknowledges the event."""

    async def _on_chat_event(self, body: dict[str, Any]) -> None:
        try:
            event = translate(body)
        except MalformedEvent as error:
            log.warning("dropping malformed Slack event %s: %s", error.event_id, error.reason)
            return
        if event is not None and self.core.is_watched(event.channel):
            self.consumer.submit(Capture(event, place=event.channel))

    async def _on_user_change(self, event: dict[str, Any]) -> None:
        """Someone changed their profile: their shares show the new name."""
        user = event.get("user")
        if isinstance(user, dict):
            await self.names.learn(user)

    async def _on_member_joined(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """The bot itself was added to a watched channel: say a short hello, once. (Invited to
        a channel it only publishes to, it stays quiet: it collects nothing there.)"""
        channel = slack_id(str(event.get("channel", "")))
        if event.get("user") != context.bot_user_id or channel in self._greeted:
            return
        if not self.core.is_watched(channel):
            return
        self._greeted.add(channel)
        await self.publisher.post_text(channel, HELLO)

    async def _on_command(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        respond: AsyncRespond,
    ) -> None:
        await ack()
        name, args = parse_command_text(str(body.get("text", "")))
        request = request_from(name, args, body["user_id"], body["channel_id"])
        await self._answer(request, respond)

    async def _on_add_shortcut(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        respond: AsyncRespond,
    ) -> None:
        """ "Add to digest" on any message, watched channel or not."""
        await ack()
        channel_id = str(body.get("channel", {}).get("id", ""))
        try:
            message = message_event(channel_id, body.get("message") or {})
        except MalformedEvent as error:
            log.warning("unreadable message in Add to digest shortcut: %s", error.reason)
            await respond(text="Sorry, I could not read that message.", response_type="ephemeral")
            return
        request = CommandRequest(
            name="add",
            args="",
            user=Author(id=slack_id(body["user"]["id"])),
            channel=slack_id(channel_id),
            platform="slack",
            message=message,
        )
        await self._answer(request, respond)

    async def _on_action(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
    ) -> None:
        await ack()
        user_id = body["user"]["id"]
        from_home = (body.get("view") or {}).get("type") == "home"
        channel_id = (body.get("channel") or {}).get("id") or user_id
        request = request_from_action(action, user_id, channel_id)
        if from_home:
            await self.core.command(request)
            await self._publish_home(user_id, channel_id)
        elif request.name in ITEM_ACTIONS and self.core.is_editor(request.user):
            await self._update_queue(request, respond)
        else:
            await self._answer(request, respond)

    async def _on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await self._publish_home(event["user"], str(event.get("channel") or event["user"]))

    async def _answer(self, request: CommandRequest, respond: AsyncRespond) -> None:
        reply = await self.core.command(request)
        if request.name == "add":  # the sharer: the message's author, or who typed the command
            if request.message is not None:
                self.names.notice([request.message])
            else:
                self.names.want(request.user.id)
        editor = self.core.is_editor(request.user)
        await respond(**reply_message(request, reply, editor=editor))

    async def _update_queue(self, request: CommandRequest, respond: AsyncRespond) -> None:
        """An item button redraws the queue message it sits in, the decision on top."""
        done = await self.core.command(request)
        queue_request = replace(request, name="queue", args="")
        queue = await self.core.command(queue_request)
        await respond(**queue_update(queue_request, done, queue))

    async def _publish_home(self, user_id: str, channel_id: str) -> None:
        user = Author(id=slack_id(user_id))
        editor = self.core.is_editor(user)
        request = request_from("queue" if editor else "mine", "", user_id, channel_id)
        reply = await self.core.command(request)
        await self.client.views_publish(user_id=user_id, view=home_view(reply, editor=editor))
