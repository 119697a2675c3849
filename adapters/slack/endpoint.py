"""``POST /slack/events`` under hostile input: verify first, parse second, never answer 500.

Anyone can reach the endpoint, so the signature and its timestamp are checked on the raw bytes
before anything reads the body: a request that is unsigned, stale or signed with another secret
(or whose timestamp header is not a number) gets 401 and nothing else happens. A request Slack
did sign but that we cannot read (not JSON, not an object, fields of the wrong type, an event
no listener handles) gets 200 and one logged line: any other status makes Slack retry the same
garbage and, if it keeps failing, disable the subscription.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
import traceback
from typing import Any

from slack_bolt.adapter.starlette.async_handler import (
    to_async_bolt_request,
    to_starlette_response,
)
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

log = logging.getLogger(__name__)

MAX_CLOCK_SKEW = 300  # seconds either way, as Slack's own verification advises
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() also takes "١٢٣"
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def is_signed(secret: str, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """Slack's v0 signature over ``v0:{timestamp}:{body}``, with a fresh timestamp. Malformed
    headers are simply not signed (the SDK's check raises on a non-numeric timestamp); with no
    secret configured nothing is."""
    if not secret or timestamp is None or signature is None:
        return False
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body  # the SDK's helper would decode the body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def readable_payload(body: bytes, content_type: str | None) -> dict[str, Any] | None:
    """The JSON object (events) or ``payload=`` / form fields (interactivity, commands) as bolt
    reads them, or None when the body is none of those."""
    try:
        parsed = parse_body(body.decode("utf-8"), content_type)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return parsed if isinstance(parsed, dict) else None


def describe(payload: dict[str, Any]) -> str:
    """A short, log-safe name for a payload: its type and event id, as far as they are text."""
    parts = [payload.get(key) for key in ("type", "command", "event_id")]
    return " ".join(part[:80] for part in parts if isinstance(part, str)) or "payload"


def log_unreadable(error: Exception, body: dict[str, Any]) -> None:
    """One line, no traceback, for a signed payload whose fields are not what Slack documents
    (a string where an object belongs, a missing id). The line names where reading failed,
    which is enough to find a real bug; a traceback per garbage payload would bury the log."""
    if isinstance(error, BoltUnhandledRequestError):
        log.info("ignoring Slack %s: no listener for it", describe(body))
        return
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    log.warning(
        "skipping unreadable Slack %s: %s: %s%s",
        describe(body),
        type(error).__name__,
        str(error)[:200],
        where,
    )


async def skip_after_error(
    error: Exception, body: dict[str, Any], response: BoltResponse | None = None
) -> BoltResponse | None:
    """bolt's error handler (middleware and listeners): log the skip and answer 200; nothing
    to answer when a listener fails after its ack has gone out."""
    log_unreadable(error, body)
    return BoltResponse(status=200, body="") if response is not None else None


class SlackEndpoint:
    """The Starlette handler for ``POST /slack/events`` in front of bolt's ``AsyncApp``."""

    def __init__(self, app: AsyncApp, signing_secret: str) -> None:
        self.app = app
        self.signing_secret = signing_secret
        app.error(skip_after_error)

    async def handle(self, request: Request) -> Response:
        body = await request.body()  # bounded by the web app's body limit (413 above it)
        headers = request.headers
        signed = is_signed(
            self.signing_secret,
            body,
            headers.get("x-slack-request-timestamp"),
            headers.get("x-slack-signature"),
        )
        if not signed:
            log.info("refused an unsigned or stale request to /slack/events")
            return PlainTextResponse("invalid Slack signature", status_code=401)
        payload = readable_payload(body, headers.get("content-type"))
        if payload is None:
            log.warning("skipping a signed Slack request whose body is not a JSON object or form")
            return Response(status_code=200)
        return await self._dispatch(request, body, payload)

    async def _dispatch(self, request: Request, body: bytes, payload: dict[str, Any]) -> Response:
        """bolt reads ids out of the payload while it builds the request, and again while it
        builds its error handler's arguments; either may trip over a field of the wrong type."""
        try:
            bolt_request = to_async_bolt_request(request, body)
            return to_starlette_response(await self.app.async_dispatch(bolt_request))
        except Exception as error:  # signed garbage is skipped, never a 500
            log_unreadable(error, payload)
            return Response(status_code=200)
