"""A protocol-level fake Slack for end-to-end tests of the real slack-bolt / slack_sdk code.

A real aiohttp server on 127.0.0.1 that speaks the Web API methods Linkletter uses
(``/api/<method>``, JSON, form or query arguments, like Slack), a Socket Mode WebSocket endpoint
(handed out by ``apps.connections.open``), ``response_url`` endpoints, and helpers that play
Slack's side of the Events API: signed HTTP deliveries with retry headers and Socket Mode
envelopes whose acks can be awaited. Faults (429 with Retry-After, 5xx) can be injected per method.

Modelled on slackapi/bolt-python's ``tests/mock_web_api_server`` (read, not copied).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
from aiohttp import web

SIGNING_SECRET = "fake-signing-secret"
BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
DEFAULT_SCOPES = (
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "groups:history",
    "groups:read",
    "im:write",
    "reactions:read",
    "reactions:write",
    "users:read",
)
WAIT = 15.0  # seconds any helper waits for the app before failing (generous: CI runs loaded)
Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Call:
    """One Web API call the fake received."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float  # time.monotonic()


@dataclass
class Fault:
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class Channel:
    id: str
    name: str
    is_member: bool = True
    messages: list[dict[str, Any]] = field(default_factory=list)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature of ``v0:{timestamp}:{body}``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _in_window(ts: str, args: Mapping[str, Any]) -> bool:
    """Slack's ``oldest``/``latest`` bounds, both exclusive."""
    oldest, latest = args.get("oldest"), args.get("latest")
    return (not oldest or float(ts) > float(oldest)) and (not latest or float(ts) < float(latest))


class FakeSlack:
    """Start with ``async with FakeSlack() as slack:``; point clients at ``slack.api_url``."""

    def __init__(
        self,
        *,
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
    ) -> None:
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.scopes = scopes
        self.channels: dict[str, Channel] = {}
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []  # bodies POSTed to response_url
        self.views: dict[str, dict[str, Any]] = {}  # views.publish, by user id
        self.users: dict[str, dict[str, Any]] = {}  # users.info, by user id (add_user)
        self.faults: dict[str, Fault] = {}
        self._clock = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connected = asyncio.Event()
        self.connections_opened = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "reactions.add": self._reactions_add,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "conversations.info": self._info,
            "conversations.open": self._open,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "apps.connections.open": self._connections_open,
        }

    # -- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{id}", self._respond)
        app.router.add_get("/socket-mode", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.drop_socket_connections()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{uuid.uuid4().hex}"

    # -- state helpers for tests ------------------------------------------------------------
    def add_channel(self, channel_id: str, name: str, *, is_member: bool = True) -> Channel:
        self.channels[channel_id] = Channel(channel_id, name, is_member)
        return self.channels[channel_id]

    def add_message(self, channel_id: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Seed history (as if posted while the bot was not listening)."""
        stored = {"type": "message", **message}
        self.channels[channel_id].messages.append(stored)
        return stored

    def store_delivered(self, payload: Mapping[str, Any]) -> None:
        """A new message Slack delivers is in its channel's history too (once)."""
        event = payload.get("event")
        if not isinstance(event, Mapping) or not isinstance(event.get("ts"), str):
            return
        if event.get("type") != "message":
            return
        channel = self.channels.get(str(event.get("channel")))
        if channel is None or event.get("subtype") not in (None, "thread_broadcast"):
            return
        if not any(m["ts"] == event.get("ts") for m in channel.messages):
            self.add_message(channel.id, event)

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        self.faults[method] = Fault(status, retry_after, times)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def bot_posts(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.channels[channel_id].messages if m.get("bot_id") == self.bot_id]

    def next_ts(self) -> str:
        """Strictly increasing, current-looking Slack timestamps."""
        return f"{int(time.time())}.{next(self._clock):06d}"

    @staticmethod
    async def wait_for(condition: Callable[[], bool]) -> None:
        """Poll until ``condition()`` holds; TimeoutError after WAIT seconds."""
        async with asyncio.timeout(WAIT):
            while not condition():  # noqa: ASYNC110 - polls state other tasks change
                await asyncio.sleep(0.01)

    # -- Events API over HTTP ----------------------------------------------------------------
    async def post_event(
        self,
        url: str,
        payload: Mapping[str, Any],
        *,
        retry_num: int | None = None,
        timestamp: int | None = None,
        secret: str | None = SIGNING_SECRET,
    ) -> int:
        """Deliver a payload like Slack does (``secret=None``: unsigned); return the status."""
        status, _ = await self.deliver(
            url, payload, retry_num=retry_num, timestamp=timestamp, secret=secret
        )
        return status

    async def deliver(
        self,
        url: str,
        payload: Mapping[str, Any],
        *,
        retry_num: int | None = None,
        timestamp: int | None = None,
        secret: str | None = SIGNING_SECRET,
    ) -> tuple[int, str]:
        """``post_event`` returning the response body as well."""
        self.store_delivered(payload)
        body = json.dumps(payload).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers |= {
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": sign(secret, stamp, body),
            }
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url,
                data=body,
                headers=headers,
            ) as response,
        ):
            return response.status, await response.text()

    # -- Socket Mode -------------------------------------------------------------------------
    async def push_envelope(
        self,
        payload: Mapping[str, Any],
        *,
        kind: str = "events_api",
        retry_attempt: int = 0,
    ) -> dict[str, Any]:
        """Send one envelope to the connected app and return its ack message."""
        await self.wait_connected()
        self.store_delivered(payload)
        envelope_id = uuid.uuid4().hex
        ack: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = ack
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        async with asyncio.timeout(WAIT):
            return await ack

    async def drop_socket_connections(self) -> None:
        """Close every Socket Mode connection, as Slack does on a refresh or an outage."""
        self._connected.clear()
        for socket in list(self._sockets):
            await socket.close()

    async def wait_connected(self) -> None:
        async with asyncio.timeout(WAIT):
            await self._connected.wait()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AFAKE"}}
        )
        self._connected.set()
        try:
            async for message in socket:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._receive_ack(json.loads(message.data))
        finally:
            self._sockets.remove(socket)
        return socket

    def _receive_ack(self, message: dict[str, Any]) -> None:
        future = self._acks.pop(message.get("envelope_id", ""), None)
        if future is not None and not future.done():
            future.set_result(message)

    # -- Web API -----------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._arguments(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        self.calls.append(Call(method, args, token, time.monotonic()))
        fault = self.faults.get(method)
        if fault is not None and fault.remaining > 0:
            fault.remaining -= 1
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            error = "ratelimited" if fault.status == 429 else "internal_error"
            return web.json_response(
                {"ok": False, "error": error}, status=fault.status, headers=headers
            )
        handler = self._methods.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        headers = {"x-oauth-scopes": ",".join(self.scopes)}
        return web.json_response(handler(args), headers=headers)

    @staticmethod
    async def _arguments(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args |= await request.json()
        elif request.can_read_body:
            args |= dict(await request.post())
        for key in ("metadata", "blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    def _channel(self, args: Mapping[str, Any]) -> Channel | None:
        return self.channels.get(str(args.get("channel", "")))

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "user": "linkletter",
            "team_id": "TFAKE",
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
        }

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": args.get("text", ""),
            "ts": self.next_ts(),
        }
        for key in ("blocks", "metadata", "thread_ts", "unfurl_links", "unfurl_media"):
            if key in args:
                message[key] = args[key]
        channel.messages.append(message)
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": message}

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self.responses.append({**args, "response_type": "ephemeral"})
        return {"ok": True, "message_ts": self.next_ts()}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        found = [m for m in channel.messages if m["ts"] == args.get("timestamp")] if channel else []
        if not found:
            return {"ok": False, "error": "message_not_found"}
        reactions = found[0].setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == args.get("name")), None)
        if entry is not None and self.bot_user_id in entry["users"]:
            return {"ok": False, "error": "already_reacted"}
        if entry is None:
            entry = {"name": args.get("name"), "users": [], "count": 0}
            reactions.append(entry)
        entry["users"].append(self.bot_user_id)
        entry["count"] += 1
        return {"ok": True}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        visible = [
            m
            for m in channel.messages
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]
        window = [m for m in visible if _in_window(m["ts"], args)]
        window.sort(key=lambda m: float(m["ts"]), reverse=True)
        if not _truthy(args.get("include_all_metadata")):
            window = [{k: v for k, v in m.items() if k != "metadata"} for m in window]
        return self._page(window, args, "messages")

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        parent = args.get("ts")
        thread = [m for m in channel.messages if parent in (m["ts"], m.get("thread_ts"))]
        thread.sort(key=lambda m: float(m["ts"]))
        kept = [m for m in thread if m["ts"] == parent or _in_window(m["ts"], args)]
        return self._page(kept, args, "messages")

    @staticmethod
    def _page(items: list[dict[str, Any]], args: Mapping[str, Any], key: str) -> dict[str, Any]:
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "ok": True,
            key: page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "is_channel": True,
                "is_member": channel.is_member,
            },
        }

    def _open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users", ""))
        channel_id = f"D{user}"
        self.channels.setdefault(channel_id, Channel(channel_id, user))
        return {"ok": True, "channel": {"id": channel_id}}

    def add_user(
        self, user_id: str, name: str, *, real_name: str = "", display_name: str = ""
    ) -> dict[str, Any]:
        """A workspace member, shaped like Slack's user object (the ``users.list`` member in
        mercury-slack-web ``ListRsp/with_bots.json``, the same object ``users.info`` returns)."""
        user = {
            "id": user_id,
            "team_id": "T012AB3C4",
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": "Europe/London",
            "profile": {
                "real_name": real_name,
                "display_name": display_name,
                "real_name_normalized": real_name,
                "display_name_normalized": display_name,
                "team": "T012AB3C4",
            },
            "is_admin": False,
            "is_bot": False,
            "updated": 1502138686,
        }
        self.users[user_id] = user
        return user

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        self.views[str(args.get("user_id"))] = args["view"]
        return {"ok": True, "view": {"id": "VFAKE", **args["view"]}}

    def _connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self.connections_opened += 1
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket-mode"}
