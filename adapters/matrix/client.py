"""The client-server API calls Linkletter makes, over mautrix's ``HTTPAPI``.

mautrix does the HTTP, the error classes and retries on network errors; it does not wait out a
429, and its error classes drop the ``retry_after_ms`` the homeserver sends. :class:`PacedAPI`
keeps it and waits as long as the homeserver asks (``Retry-After`` as a fallback), up to
``MAX_RATE_LIMITED`` times per request, so a burst of posts or receipts slows down instead of
failing. Events are kept as the JSON the homeserver sent, for the pure ``translate`` functions.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from json import JSONDecodeError
from typing import Any
from urllib.parse import quote

from aiohttp import ClientResponse, ClientSession, ClientTimeout, ContentTypeError
from mautrix.api import HTTPAPI, Method
from mautrix.errors import MLimitExceeded, make_request_error
from mautrix.types import JSON
from yarl import URL

log = logging.getLogger(__name__)

CLIENT = "/_matrix/client/v3"
MAX_RATE_LIMITED = 8  # 429s in a row for one request before giving up
MAX_WAIT_SECONDS = 120.0  # a longer retry_after_ms is capped (and the request retried then)
DEFAULT_WAIT_SECONDS = 1.0  # a 429 that says nothing about when to come back
SYNC_TIMEOUT_MS = 30_000
HTTP_TIMEOUT = ClientTimeout(total=SYNC_TIMEOUT_MS / 1000 + 30)


class RateLimited(MLimitExceeded):
    """A 429 with the wait the homeserver asked for."""

    def __init__(self, http_status: int, message: str, wait: float) -> None:
        super().__init__(http_status, message)
        self.wait = wait


class PacedAPI(HTTPAPI):
    """``HTTPAPI`` that honours 429s; ``waits`` records each wait (for tests and logs)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waits: list[float] = []

    async def request(self, *args: Any, **kwargs: Any) -> JSON:
        for attempt in range(1, MAX_RATE_LIMITED + 1):
            try:
                return await super().request(*args, **kwargs)
            except RateLimited as limited:
                if attempt == MAX_RATE_LIMITED:
                    raise
                log.info("Matrix rate limit: waiting %.1fs (retry_after_ms)", limited.wait)
                self.waits.append(limited.wait)
                await asyncio.sleep(limited.wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        method: Method,
        url: URL,
        content: Any,
        query_params: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[JSON, ClientResponse]:
        """mautrix's ``_send``, keeping a 429's ``retry_after_ms``."""
        request = self.session.request(
            str(method), url, data=content, params=query_params, headers=headers
        )
        async with request as response:
            if 200 <= response.status < 300:
                return await response.json(), response
            text = await response.text()
            try:
                data = json.loads(text)
            except JSONDecodeError:
                data = {}
            data = data if isinstance(data, dict) else {}
            if response.status == 429:
                raise RateLimited(429, str(data.get("error", "")), _wait(data, response))
            raise make_request_error(
                http_status=response.status,
                text=text,
                errcode=data.get("errcode"),
                message=data.get("error"),
            )


def _wait(data: dict[str, Any], response: ClientResponse) -> float:
    milliseconds = data.get("retry_after_ms")
    if isinstance(milliseconds, int | float) and not isinstance(milliseconds, bool):
        return min(max(milliseconds / 1000, 0.0), MAX_WAIT_SECONDS)
    try:
        return min(float(response.headers.get("Retry-After", "")), MAX_WAIT_SECONDS)
    except (ValueError, ContentTypeError):
        return DEFAULT_WAIT_SECONDS


def txn_id(key: str) -> str:
    """A stable transaction id for ``key``: a retried send is the same event, not a second one."""
    return "ll-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def room_path(room_id: str, *rest: str) -> str:
    return "/".join(
        [f"{CLIENT}/rooms/{quote(room_id, safe='')}", *(quote(p, safe="") for p in rest)]
    )


class MatrixClient:
    """One account on one homeserver; every method is one documented API call."""

    def __init__(self, api: PacedAPI) -> None:
        self.api = api

    @classmethod
    def open(cls, homeserver: str, token: str) -> MatrixClient:
        session = ClientSession(timeout=HTTP_TIMEOUT)
        return cls(PacedAPI(homeserver, token, client_session=session, default_retry_count=2))

    async def close(self) -> None:
        await self.api.session.close()

    async def call(
        self, method: Method, path: str, body: Any = None, **params: str
    ) -> dict[str, Any]:
        result = await self.api.request(method, path, body, query_params=params)
        return result if isinstance(result, dict) else {}

    async def login(self, user_id: str, password: str, device_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user_id},
            "password": password,
            "initial_device_display_name": "Linkletter",
        }
        if device_id:
            body["device_id"] = device_id
        found = await self.api.request(Method.POST, f"{CLIENT}/login", body, sensitive=True)
        assert isinstance(found, dict)
        self.api.token = str(found["access_token"])
        return found

    async def whoami(self) -> dict[str, Any]:
        return await self.call(Method.GET, f"{CLIENT}/account/whoami")

    async def sync(self, since: str | None, timeout_ms: int, filter_json: str) -> dict[str, Any]:
        params = {"timeout": str(timeout_ms), "filter": filter_json}
        if since:
            params["since"] = since
        return await self.call(Method.GET, f"{CLIENT}/sync", **params)

    async def messages(
        self,
        room_id: str,
        start: str | None,
        *,
        limit: int,
        to: str | None = None,
        filter_json: str | None = None,
    ) -> dict[str, Any]:
        """One page of a room's history, newest first (``dir=b``)."""
        params = {"dir": "b", "limit": str(limit)}
        if start:
            params["from"] = start
        if to:
            params["to"] = to
        if filter_json:
            params["filter"] = filter_json
        return await self.call(Method.GET, room_path(room_id, "messages"), **params)

    async def send(self, room_id: str, kind: str, content: dict[str, Any], txn: str) -> str:
        found = await self.call(Method.PUT, room_path(room_id, "send", kind, txn), content)
        return str(found["event_id"])

    async def state(self, room_id: str, kind: str, key: str = "") -> dict[str, Any]:
        return await self.call(Method.GET, room_path(room_id, "state", kind, key))

    async def joined_rooms(self) -> list[str]:
        found = await self.call(Method.GET, f"{CLIENT}/joined_rooms")
        return [str(room) for room in found.get("joined_rooms", [])]

    async def join(self, room_id: str) -> None:
        await self.call(Method.POST, f"{CLIENT}/join/{quote(room_id, safe='')}", {})

    async def leave(self, room_id: str) -> None:
        await self.call(Method.POST, room_path(room_id, "leave"), {})

    async def resolve_alias(self, alias: str) -> str:
        found = await self.call(Method.GET, f"{CLIENT}/directory/room/{quote(alias, safe='')}")
        return str(found["room_id"])

    async def account_data(self, user_id: str, kind: str) -> dict[str, Any]:
        path = f"{CLIENT}/user/{quote(user_id, safe='')}/account_data/{quote(kind, safe='')}"
        return await self.call(Method.GET, path)

    async def set_account_data(self, user_id: str, kind: str, content: dict[str, Any]) -> None:
        path = f"{CLIENT}/user/{quote(user_id, safe='')}/account_data/{quote(kind, safe='')}"
        await self.call(Method.PUT, path, content)

    async def create_direct_room(self, user_id: str) -> str:
        body = {"is_direct": True, "invite": [user_id], "preset": "trusted_private_chat"}
        found = await self.call(Method.POST, f"{CLIENT}/createRoom", body)
        return str(found["room_id"])
