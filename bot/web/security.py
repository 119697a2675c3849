"""Response headers every page gets, and the token gate in front of a private archive.

Pages are rendered with Jinja2 autoescaping, so text from strangers' web pages is inert; the
Content-Security-Policy is a second wall: no script runs on any page we serve.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Our own pages: styles from our stylesheet only, no scripts, no frames, no forms.
STRICT_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# The issue page is the e-mail template (inline styles) and shows the articles' own images.
ISSUE_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' https: http:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The desk: our script (the drag and drop) and our forms; the articles' images.
DESK_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "img-src 'self' https: http:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": STRICT_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # never leak a private archive's address (or ?token=)
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders:
    """Add ``SECURITY_HEADERS`` to every HTTP response that does not set its own value."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def presented_tokens(connection: HTTPConnection) -> list[str]:
    """Every credential the request carries: bearer token, ``?token=``, basic-auth password."""
    found = []
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        found.append(value.strip())
    elif scheme.lower() == "basic":
        password = _basic_password(value.strip())
        if password is not None:
            found.append(password)
    if "token" in connection.query_params:
        found.append(connection.query_params["token"])
    return found


def _basic_password(encoded: str) -> str | None:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _user, colon, password = decoded.partition(":")
    return password if colon else None


class TokenGate:
    """Let a request through only if it presents the shared token; 401 with a basic-auth
    challenge otherwise, so a browser asks for it (any user name, the token as password)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("TokenGate needs a non-empty token")
        self.app = app
        self.token = token.encode("utf-8")

    def allows(self, connection: HTTPConnection) -> bool:
        return any(
            hmac.compare_digest(candidate.encode("utf-8"), self.token)
            for candidate in presented_tokens(connection)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.allows(HTTPConnection(scope)):
            refusal = PlainTextResponse(
                "This archive is private: send the token (see docs/web.md).",
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="Linkletter", charset="UTF-8"'},
            )
            await refusal(scope, receive, send)
            return

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("Cache-Control", "private, no-store")
            await send(message)

        await self.app(scope, receive, send_private)
