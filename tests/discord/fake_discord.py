"""A protocol-level fake Discord on 127.0.0.1: the REST routes and the gateway discord.py uses.

The guild, its channels, roles and members, the bot user and the application come from the real
captures in ``tests/fixtures/discord/discord4j`` (GUILD_CREATE, READY, application info). Tests
drive it: ``user_says`` posts a message as a member (stored for history and dispatched on the
gateway when connected), ``react``, ``edit``, ``delete``; ``drop``, ``invalidate_session`` and
``close_gateway(4014)`` misbehave like Discord does; ``rate_limit_next`` answers one request with
429. Everything the bot sends is recorded (``posts``, ``reactions_put``, ``commands``, ...).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import WSCloseCode, WSMsgType, web

FIXTURES = Path(__file__).parents[1] / "fixtures" / "discord" / "discord4j"
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME = 0, 1, 2, 6
OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 9, 10, 11
NONCE_WINDOW_SECONDS = 300.0
MESSAGE_CONTENT_LIMITED = 1 << 19
CAPTURED_HUMAN = "134127815531560960"  # the GUILD_CREATE capture's only non-bot member
EXTRA_HUMANS = {"400000000000000001": "ann", "400000000000000002": "bob"}


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py only parses bodies whose content type is exactly ``application/json``."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
    )


@dataclass
class Session:
    """One gateway session: its id and every dispatch sent in it (for RESUME replays)."""

    session_id: str
    sent: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Connection:
    ws: web.WebSocketResponse
    session: Session | None = None


class FakeDiscord:
    def __init__(self, heartbeat_ms: int = 5_000) -> None:
        self.heartbeat_ms = heartbeat_ms
        ready = fixture("Ready")["d"]
        self.bot_user: dict[str, Any] = ready["user"]
        # Not team-owned; flags say the Message Content intent is enabled (limited, 1 << 19).
        self.application: dict[str, Any] = fixture("ApplicationInfoData") | {
            "id": self.bot_user["id"],
            "bot": self.bot_user,
            "team": None,
        }
        self.application["flags"] |= MESSAGE_CONTENT_LIMITED
        self.guild: dict[str, Any] = fixture("GuildCreate")["d"]
        self.guild["threads"] = []
        self.guild_id: str = self.guild["id"]
        self.channels: dict[str, dict[str, Any]] = {
            c["id"]: c | {"guild_id": self.guild_id} for c in self.guild["channels"]
        }
        self.messages: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        self.members: dict[str, dict[str, Any]] = {
            m["user"]["id"]: m for m in self.guild["members"]
        }
        self._add_humans()
        self.reactions: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._ids = itertools.count(1_200_000_000_000_000_000)
        self._sessions = itertools.count(1)
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.ops: Counter[int] = Counter()
        self.requests: list[tuple[str, str]] = []
        self.posts: list[dict[str, Any]] = []
        self.reactions_put: list[tuple[str, str, str]] = []
        self.commands: list[dict[str, Any]] = []
        self.interaction_callbacks: list[dict[str, Any]] = []
        self._interaction_channels: dict[str, str] = {}
        self.response_messages: list[dict[str, Any]] = []
        self.followups: list[dict[str, Any]] = []
        self.original_edits: list[dict[str, Any]] = []
        self._rate_limits: list[tuple[str, float]] = []
        self._nonces: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self.identify_close_code: int | None = None  # e.g. 4014: privileged intent missing
        self._runner: web.AppRunner | None = None
        self.base = ""

    # ----- lifecycle -----

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for connection in list(self.connections):
            await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"{self.base.replace('http', 'ws', 1)}/gateway"

    def _add_humans(self) -> None:
        """Two more human members shaped like the capture's only human (the others are bots)."""
        human = self.members[CAPTURED_HUMAN]
        for user_id, name in EXTRA_HUMANS.items():
            member = copy.deepcopy(human) | {"roles": [], "hoisted_role": None}
            member["user"] |= {"id": user_id, "username": name}
            self.members[user_id] = member
            self.guild["members"].append(member)

    # ----- what a test does as Discord's users -----

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_thread(
        self, parent_id: str, starter_id: str, *, announce: bool = True
    ) -> dict[str, Any]:
        """A public thread started from message ``starter_id`` (so it has that id).

        ``announce=False`` skips THREAD_CREATE, as for a thread the client never cached.
        """
        thread = {
            "id": starter_id,
            "guild_id": self.guild_id,
            "parent_id": parent_id,
            "type": 11,
            "name": "thread",
            "owner_id": self.bot_user["id"],
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": _now(),
                "locked": False,
            },
        }
        self.channels[starter_id] = thread
        self.messages[starter_id] = []
        if announce:
            self.dispatch("THREAD_CREATE", thread | {"newly_created": True})
        return thread

    def user_says(
        self,
        channel_id: str,
        user_id: str,
        content: str,
        *,
        reply_to: str | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        message = self._message(channel_id, self.members[user_id]["user"], content, embeds or [])
        if reply_to is not None:
            message["type"] = 19
            message["message_reference"] = {
                "message_id": reply_to,
                "channel_id": channel_id,
                "guild_id": self.guild_id,
            }
        self.messages[channel_id].append(message)
        self.dispatch("MESSAGE_CREATE", message | {"member": self._member_no_user(user_id)})
        return message

    def edit(self, channel_id: str, message_id: str, content: str) -> None:
        message = self._find(channel_id, message_id)
        message.update(content=content, edited_timestamp=_now())
        self.dispatch("MESSAGE_UPDATE", message)

    def unfurl(self, channel_id: str, message_id: str, embeds: list[dict[str, Any]]) -> None:
        """Discord's link preview arriving: MESSAGE_UPDATE with embeds, text unchanged."""
        message = self._find(channel_id, message_id)
        message["embeds"] = embeds
        self.dispatch("MESSAGE_UPDATE", message)

    def delete(self, channel_id: str, message_id: str) -> None:
        self.messages[channel_id].remove(self._find(channel_id, message_id))
        self.dispatch(
            "MESSAGE_DELETE",
            {
                "id": message_id,
                "channel_id": channel_id,
                "guild_id": self.guild_id,
            },
        )

    def react(self, channel_id: str, message_id: str, user_id: str, emoji: str) -> None:
        self.reactions.setdefault((channel_id, message_id), {}).setdefault(emoji, []).append(
            user_id
        )
        self.dispatch(
            "MESSAGE_REACTION_ADD",
            self._reaction(channel_id, message_id, user_id, emoji)
            | {"member": self.members[user_id], "message_author_id": "0"},
        )

    def unreact(self, channel_id: str, message_id: str, user_id: str, emoji: str) -> None:
        self.reactions[(channel_id, message_id)][emoji].remove(user_id)
        self.dispatch(
            "MESSAGE_REACTION_REMOVE", self._reaction(channel_id, message_id, user_id, emoji)
        )

    def slash(self, channel_id: str, user_id: str, subcommand: str, text: str = "") -> str:
        """``/linkletter <subcommand> text:<text>``; returns the interaction id."""
        options = [{"type": 3, "name": "text", "value": text}] if text else []
        return self._interact(
            channel_id,
            user_id,
            2,
            self._command_data("linkletter")
            | {
                "type": 1,
                "options": [{"type": 1, "name": subcommand, "options": options}],
            },
        )

    def message_shortcut(self, channel_id: str, user_id: str, message_id: str) -> str:
        """The "Add to digest" message context-menu command on ``message_id``."""
        message = self._find(channel_id, message_id)
        return self._interact(
            channel_id,
            user_id,
            2,
            self._command_data("Add to digest")
            | {
                "type": 3,
                "target_id": message_id,
                "resolved": {"messages": {message_id: message}},
            },
        )

    def click(self, channel_id: str, user_id: str, custom_id: str) -> str:
        """Press the button ``custom_id`` on the interaction response that shows it."""
        return self._interact(
            channel_id,
            user_id,
            3,
            {"custom_id": custom_id, "component_type": 2},
            message=self._message_with_button(custom_id),
        )

    def _message_with_button(self, custom_id: str) -> dict[str, Any]:
        return next(
            m
            for m in reversed(self.response_messages)
            for row in m.get("components", [])
            for c in row["components"]
            if c.get("custom_id") == custom_id
        )

    def _command_data(self, name: str) -> dict[str, Any]:
        command = next(c for c in self.commands if c["name"] == name)
        return {"id": command["id"], "name": name}

    def _interact(
        self,
        channel_id: str,
        user_id: str,
        kind: int,
        data: dict[str, Any],
        message: dict[str, Any] | None = None,
    ) -> str:
        """An INTERACTION_CREATE in the shape of the captured one, with our guild's ids."""
        payload = fixture("InteractionCreate.SubCommandGroup")["d"]
        interaction_id = self.new_id()
        member = self.members[user_id] | {"permissions": "8589934591"}
        payload.update(
            id=interaction_id,
            type=kind,
            token=f"token-{interaction_id}",
            application_id=self.application["id"],
            guild_id=self.guild_id,
            channel_id=channel_id,
            channel=self.channels[channel_id],
            member=member,
            data=data,
            app_permissions="8589934591",
            locale="en-US",
            guild_locale="en-US",
            entitlements=[],
            authorizing_integration_owners={},
            context=0,
            attachment_size_limit=8388608,
        )
        if message is not None:
            payload["message"] = message
        self._interaction_channels[interaction_id] = channel_id
        self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    # ----- gateway misbehaviour -----

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch on every live session (recorded for RESUME replays)."""
        for connection in self.connections:
            if connection.session is not None:
                self._send_dispatch(connection, event, data)

    async def drop(self) -> None:
        """Cut every connection without a close frame semantics the client can act on."""
        for connection in list(self.connections):
            await connection.ws.close(code=WSCloseCode.GOING_AWAY)

    async def invalidate_session(self) -> None:
        for connection in list(self.connections):
            connection.session = None
            await connection.ws.send_json(
                {"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None}
            )

    async def close_gateway(self, code: int) -> None:
        for connection in list(self.connections):
            await connection.ws.close(code=code)

    def rate_limit_next(self, path_fragment: str, retry_after: float) -> None:
        """The next request whose path contains ``path_fragment`` gets a 429."""
        self._rate_limits.append((path_fragment, retry_after))

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Poll ``condition()`` until true (the bot acts asynchronously), for up to 5 s."""
        async with asyncio.timeout(5):
            while not condition():  # noqa: ASYNC110 - polls arbitrary test conditions
                await asyncio.sleep(0.01)

    # ----- gateway -----

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        connection = Connection(ws)
        self.connections.append(connection)
        await ws.send_json(
            {"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None, "t": None}
        )
        try:
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    break
                await self._on_op(connection, json.loads(frame.data))
        finally:
            self.connections.remove(connection)
        return ws

    async def _on_op(self, connection: Connection, payload: dict[str, Any]) -> None:
        op = payload["op"]
        self.ops[op] += 1
        if op == OP_HEARTBEAT:
            await connection.ws.send_json({"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == OP_IDENTIFY:
            await self._identify(connection)
        elif op == OP_RESUME:
            await self._resume(connection, payload["d"])

    async def _identify(self, connection: Connection) -> None:
        if self.identify_close_code is not None:
            await connection.ws.close(code=self.identify_close_code)
            return
        session = Session(f"session-{next(self._sessions)}")
        self.sessions[session.session_id] = session
        connection.session = session
        ready = {
            "v": 10,
            "user": self.bot_user,
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "shard": [0, 1],
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "application": {"id": self.application["id"], "flags": self.application["flags"]},
            "private_channels": [],
            "relationships": [],
        }
        self._send_dispatch(connection, "READY", ready)
        guild = copy.deepcopy(self.guild)
        guild["channels"] = [c for c in self.channels.values() if c.get("type") != 11]
        guild["threads"] = [c for c in self.channels.values() if c.get("type") == 11]
        self._send_dispatch(connection, "GUILD_CREATE", guild)

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data["session_id"])
        if session is None:
            await connection.ws.send_json(
                {"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None}
            )
            return
        connection.session = session
        for payload in session.sent[data["seq"] or 0 :]:
            await connection.ws.send_json(payload)
        self._send_dispatch(connection, "RESUMED", {})

    def _send_dispatch(self, connection: Connection, event: str, data: dict[str, Any]) -> None:
        assert connection.session is not None
        session = connection.session
        payload = {"op": OP_DISPATCH, "t": event, "s": len(session.sent) + 1, "d": data}
        session.sent.append(payload)
        if not connection.ws.closed:
            task = asyncio.ensure_future(connection.ws.send_json(payload))
            task.add_done_callback(lambda t: t.exception())

    # ----- REST -----

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        self.requests.append((request.method, path))
        for index, (fragment, retry_after) in enumerate(self._rate_limits):
            if fragment in path:
                del self._rate_limits[index]
                # discord.py treats a 429 without ``Via`` as a Cloudflare ban and gives up.
                return _json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": retry_after,
                        "global": False,
                    },
                    status=429,
                    headers={
                        "Retry-After": str(retry_after),
                        "Via": "1.1 google",
                        "X-RateLimit-Scope": "user",
                    },
                )
        bot_auth = request.headers.get("Authorization") == f"Bot {self.token}"
        interaction_token_auth = path.startswith(("/interactions/", "/webhooks/"))
        if not (bot_auth or interaction_token_auth):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        body = await request.json() if request.can_read_body else None
        parts = [unquote(p) for p in path.strip("/").split("/")]
        handled = self._route(request.method, parts, request.query, body)
        if handled is None:
            return _json({"message": "404: Not Found", "code": 0}, status=404)
        if handled == "":
            return web.Response(status=204)
        return _json(handled)

    token = "fake-bot-token"

    def _route(self, method: str, parts: list[str], query: Any, body: Any) -> Any:
        match method, parts:
            case "GET", ["gateway", "bot"]:
                return {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            case "GET", ["users", "@me"]:
                return self.bot_user
            case "GET", ["applications", "@me"] | ["oauth2", "applications", "@me"]:
                return self.application
            case "PUT", ["applications", app_id, "commands"]:
                self.commands = [
                    {"description": "", "default_member_permissions": None}
                    | c
                    | {"id": self.new_id(), "application_id": app_id, "version": "1"}
                    for c in body
                ]
                return self.commands
            case "POST", ["interactions", interaction_id, _token, "callback"]:
                self.interaction_callbacks.append(body | {"interaction_id": interaction_id})
                return self._callback_response(interaction_id, body)
            case "POST", ["webhooks", _app_id, token]:
                interaction_id = token.removeprefix("token-")
                self.followups.append(body | {"interaction_id": interaction_id})
                message = self._message(
                    self._interaction_channels[interaction_id],
                    self.bot_user,
                    body.get("content") or "",
                    [],
                )
                message["components"] = body.get("components") or []
                self.response_messages.append(message)
                return message
            case "PATCH", ["webhooks", _app_id, token, "messages", "@original"]:
                interaction_id = token.removeprefix("token-")
                self.original_edits.append(body | {"interaction_id": interaction_id})
                return self._message(
                    self._interaction_channels[interaction_id],
                    self.bot_user,
                    body.get("content") or "",
                    [],
                )
            case "GET", ["channels", channel_id] if channel_id in self.channels:
                return self.channels[channel_id]
            case "GET", ["guilds", guild_id] if guild_id == self.guild_id:
                return self.guild
            case "GET", ["guilds", guild_id, "members", user_id] if user_id in self.members:
                return self.members[user_id]
            case "GET", ["channels", channel_id, "messages"] if channel_id in self.messages:
                return self._history(channel_id, query)
            case "POST", ["channels", channel_id, "messages"] if channel_id in self.messages:
                return self._create_message(channel_id, body)
            case "POST", ["users", "@me", "channels"]:
                return self._dm_channel(body["recipient_id"])
            case "PUT", ["channels", channel_id, "messages", message_id, "reactions", emoji, "@me"]:
                self.reactions_put.append((channel_id, message_id, emoji))
                return ""
            case "GET", ["channels", channel_id, "messages", message_id, "reactions", emoji]:
                users = self.reactions.get((channel_id, message_id), {}).get(emoji, [])
                return [self.members[u]["user"] for u in users]
        return None

    def _callback_response(self, interaction_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The ``with_response=1`` answer: the interaction and the message it created."""
        data = body.get("data") or {}
        message = self._message(
            self._interaction_channels[interaction_id],
            self.bot_user,
            data.get("content") or "",
            data.get("embeds") or [],
        )
        message["components"] = data.get("components") or []
        self.response_messages.append(message)
        return {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_id": message["id"],
                "response_message_loading": False,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            },
            "resource": {"type": body["type"], "message": message},
        }

    def _history(self, channel_id: str, query: Any) -> list[dict[str, Any]]:
        """Like Discord: the ``limit`` messages right after ``after``, newest first."""
        limit = int(query.get("limit", 50))
        after = int(query.get("after", 0))
        newer = [m for m in self.messages[channel_id] if int(m["id"]) > after]
        page = sorted(newer, key=lambda m: int(m["id"]))[:limit]
        return [self._with_reactions(channel_id, m) for m in reversed(page)]

    def _with_reactions(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        counts = self.reactions.get((channel_id, message["id"]), {})
        reactions = [
            {
                "emoji": {"id": None, "name": emoji},
                "count": len(users),
                "me": False,
                "count_details": {"burst": 0, "normal": len(users)},
                "burst_colors": [],
                "me_burst": False,
            }
            for emoji, users in counts.items()
            if users
        ]
        return message | {"reactions": reactions} if reactions else message

    def _create_message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((channel_id, str(nonce)))
            if seen is not None and time.monotonic() - seen[0] < NONCE_WINDOW_SECONDS:
                return seen[1]
        message = self._message(
            channel_id, self.bot_user, body.get("content") or "", body.get("embeds") or []
        )
        self.posts.append(body | {"channel_id": channel_id, "id": message["id"]})
        self.messages[channel_id].append(message)
        if nonce is not None:
            self._nonces[(channel_id, str(nonce))] = (time.monotonic(), message)
        self.dispatch("MESSAGE_CREATE", message | ({"nonce": nonce} if nonce else {}))
        return message | ({"nonce": nonce} if nonce else {})

    def _dm_channel(self, user_id: str) -> dict[str, Any]:
        channel_id = f"9{user_id}"
        channel = {
            "id": channel_id,
            "type": 1,
            "last_message_id": None,
            "recipients": [self.members[user_id]["user"]],
        }
        self.channels.setdefault(channel_id, channel)
        self.messages.setdefault(channel_id, [])
        return channel

    def _message(
        self, channel_id: str, author: dict[str, Any], content: str, embeds: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A message object in the shape of MessageCreate.Type0 (minus ``member``)."""
        base: dict[str, Any] = fixture("MessageCreate.Type0")["d"]
        base.pop("member")
        base.pop("nonce")
        guild = {"guild_id": self.guild_id} if self.channels[channel_id].get("type") != 1 else {}
        return (
            base
            | guild
            | {
                "id": self.new_id(),
                "channel_id": channel_id,
                "author": author,
                "content": content,
                "embeds": embeds,
                "timestamp": _now(),
                "edited_timestamp": None,
            }
        )

    def _member_no_user(self, user_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.members[user_id].items() if k != "user"}

    def _find(self, channel_id: str, message_id: str) -> dict[str, Any]:
        return next(m for m in self.messages[channel_id] if m["id"] == message_id)

    def _reaction(
        self, channel_id: str, message_id: str, user_id: str, emoji: str
    ) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "message_id": message_id,
            "channel_id": channel_id,
            "guild_id": self.guild_id,
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
