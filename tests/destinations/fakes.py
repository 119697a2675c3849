"""Local fakes of the platforms' HTTP APIs, built from their public documentation:

- Buttondown (docs.buttondown.com: api-authentication, api-emails-create, api-emails-retrieve,
  api-emails-update, api-pagination, api-response-codes, blog "Safer defaults for the email
  creation API"): ``Authorization: Token <key>``; ``POST /v1/emails``; status defaults to
  sending before API version 2026-04-01; ``GET``/``PATCH /v1/emails/{id}``; ``{"code",
  "detail"}`` errors, 404 for an unknown id; page-number pagination with ``next``.
- Ghost Admin API (docs.ghost.org/admin-api: token authentication, creating, reading and
  updating a post): ``Authorization: Ghost <JWT>`` (HS256, ``kid``, ``aud`` "/admin/", at most
  5 minutes); ``title`` required; ``?source=html`` to take HTML; ``PUT /posts/{id}/`` requires
  the post's current ``updated_at`` (409 ``UpdateCollisionError`` when it is stale);
  ``{"errors": [{"message", "type"}]}``, 404 ``NotFoundError`` for an unknown id.
- Mailchimp Marketing API (mailchimp.com/developer/marketing: errors, campaigns, content):
  Basic auth with the key as password; ``type`` and ``recipients.list_id`` required;
  ``GET``/``PATCH /3.0/campaigns/{id}`` (settings need ``subject_line``, ``from_name`` and
  ``reply_to``); RFC 7807 ``application/problem+json`` errors with ``title``/``status``/
  ``detail``, 404 for an unknown id.

Each fake records what it was sent; ``outages`` makes the next N requests answer 503. Editing
something already sent or published is refused by the fakes: Linkletter must never try.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.deliver.services.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run ``app`` on an ephemeral 127.0.0.1 port; yield its base URL (no trailing slash)."""
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@dataclass
class Outages:
    """Scripted failures: the next ``count`` requests get ``status`` (with ``headers``)."""

    count: int = 0
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    arrivals: list[float] = field(default_factory=list)

    def script(self, count: int, status: int = 503, headers: dict[str, str] | None = None) -> None:
        self.count, self.status, self.headers = count, status, headers or {}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.arrivals.append(time.monotonic())
        if self.count > 0:
            self.count -= 1
            return web.json_response(
                {"detail": "temporarily unavailable"}, status=self.status, headers=self.headers
            )
        return await handler(request)


# --- webhook receiver ---------------------------------------------------------------------


@dataclass
class WebhookReceiver:
    """A receiver as docs/destinations.md tells people to write one: verify, then dedupe."""

    secret: str
    deliveries: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0
    rejected: int = 0
    outages: Outages = field(default_factory=Outages)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.outages.middleware])
        app.router.add_post("/hook", self.receive)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        if not verify_signature(
            self.secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            now=time.time(),
        ):
            self.rejected += 1
            return web.json_response({"error": "bad signature"}, status=401)
        self.deliveries.setdefault(request.headers[DELIVERY_HEADER], json.loads(body))
        return web.json_response({"ok": True})


# --- Buttondown ---------------------------------------------------------------------------

SAFE_DEFAULTS_VERSION = "2026-04-01"


@dataclass
class FakeButtondown:
    api_key: str
    page_size: int = 2
    emails: list[dict[str, Any]] = field(default_factory=list)
    outages: Outages = field(default_factory=Outages)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.outages.middleware, self.authenticate])
        app.router.add_post("/v1/emails", self.create)
        app.router.add_get("/v1/emails", self.list_emails)
        app.router.add_get("/v1/emails/{id}", self.retrieve)
        app.router.add_patch("/v1/emails/{id}", self.update)
        return app

    @web.middleware
    async def authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Token {self.api_key}":
            return web.json_response({"detail": "Invalid token."}, status=401)
        return await handler(request)

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not str(body.get("subject", "")).strip():
            return _buttondown_error("subject_invalid", "The subject is missing.")
        version = request.headers.get("X-API-Version", "2024-09-30")
        default = "draft" if version >= SAFE_DEFAULTS_VERSION else "about_to_send"
        status = body.get("status", default)
        if status not in ("draft", "about_to_send", "scheduled", "imported"):
            return _buttondown_error("status_invalid", f"Unknown status {status!r}.")
        email = {
            "id": str(uuid.uuid4()),
            "subject": body["subject"],
            "body": body.get("body", ""),
            "status": status,
            "metadata": body.get("metadata", {}),
        }
        self.emails.append(email)
        return web.json_response(email, status=201)

    def _email(self, request: web.Request) -> dict[str, Any] | None:
        wanted = request.match_info["id"]
        return next((email for email in self.emails if email["id"] == wanted), None)

    async def retrieve(self, request: web.Request) -> web.Response:
        email = self._email(request)
        if email is None:
            return _buttondown_error("not_found", "Not found.", status=404)
        return web.json_response(email)

    async def update(self, request: web.Request) -> web.Response:
        email = self._email(request)
        if email is None:
            return _buttondown_error("not_found", "Not found.", status=404)
        if email["status"] != "draft":
            return _buttondown_error("email_invalid", "Only drafts can be edited.")
        body = await request.json()
        if "subject" in body and not str(body["subject"]).strip():
            return _buttondown_error("subject_invalid", "The subject is missing.")
        if body.get("status", "draft") != "draft":
            return _buttondown_error("status_invalid", "Linkletter must never send.")
        email.update({k: body[k] for k in ("subject", "body", "metadata") if k in body})
        return web.json_response(email)

    def send(self, email_id: str) -> None:
        """An editor sends the draft from Buttondown's UI."""
        next(email for email in self.emails if email["id"] == email_id)["status"] = "sent"

    async def list_emails(self, request: web.Request) -> web.Response:
        wanted = request.query.getall("status", [])
        matching = [e for e in self.emails if not wanted or e["status"] in wanted]
        page = int(request.query.get("page", "1"))
        start = (page - 1) * self.page_size
        more = start + self.page_size < len(matching)
        following = request.url.update_query(page=str(page + 1)) if more else None
        return web.json_response(
            {
                "count": len(matching),
                "next": str(following) if following else None,
                "results": matching[start : start + self.page_size],
            }
        )

    def drafts(self) -> list[dict[str, Any]]:
        return [email for email in self.emails if email["status"] == "draft"]


def _buttondown_error(code: str, detail: str, status: int = 400) -> web.Response:
    return web.json_response({"code": code, "detail": detail}, status=status)


# --- Ghost --------------------------------------------------------------------------------


def _unpad(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def ghost_error(status: int, kind: str, message: str, **extra: str) -> web.Response:
    return web.json_response(
        {"errors": [{"message": message, "type": kind, **extra}]}, status=status
    )


@dataclass
class FakeGhost:
    key_id: str
    secret_hex: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    outages: Outages = field(default_factory=Outages)
    collisions: int = 0  # the next N edits find the post saved by someone else just before
    _saves: itertools.count[int] = field(default_factory=itertools.count)

    def stamp(self) -> str:
        """A fresh ``updated_at``, as Ghost writes it (ISO 8601, milliseconds, Z)."""
        moment = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(seconds=next(self._saves))
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def edit_in_admin(self, post_id: str, **changes: Any) -> None:
        """An editor saves the post in Ghost Admin: its ``updated_at`` moves on."""
        post = self._post(post_id)
        assert post is not None
        post.update(changes, updated_at=self.stamp())

    @property
    def admin_key(self) -> str:
        return f"{self.key_id}:{self.secret_hex}"

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.outages.middleware, self.authenticate])
        app.router.add_post("/ghost/api/admin/posts/", self.create)
        app.router.add_get("/ghost/api/admin/posts/slug/{slug}/", self.by_slug)
        app.router.add_get("/ghost/api/admin/posts/{id}/", self.read)
        app.router.add_put("/ghost/api/admin/posts/{id}/", self.edit)
        return app

    @web.middleware
    async def authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        problem = self.token_problem(token) if scheme == "Ghost" else "Authorization: Ghost <token>"
        if problem:
            return ghost_error(401, "UnauthorizedError", problem, code="INVALID_JWT")
        return await handler(request)

    def token_problem(self, token: str) -> str | None:
        """Verify the JWT as Ghost does: HS256, known kid, signature, aud, at most 5 min, live."""
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_unpad(header_b64))
            claims = json.loads(_unpad(claims_b64))
        except ValueError:
            return "Invalid token: not a JWT"
        if header.get("alg") != "HS256" or header.get("kid") != self.key_id:
            return "Unknown Admin API Key"
        expected = hmac.new(
            bytes.fromhex(self.secret_hex), f"{header_b64}.{claims_b64}".encode(), hashlib.sha256
        ).digest()
        if not hmac.compare_digest(expected, _unpad(signature_b64)):
            return "Invalid token: invalid signature"
        now = time.time()
        if claims.get("aud") != "/admin/":
            return "Invalid token: jwt audience invalid"
        if claims["exp"] - claims["iat"] > 300 or not claims["iat"] - 60 <= now <= claims["exp"]:
            return "Invalid token: jwt expired or too long-lived"
        self.tokens.append({**header, **claims})
        return None

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        post = (body.get("posts") or [{}])[0]
        if not str(post.get("title", "")).strip():
            return ghost_error(
                422,
                "ValidationError",
                "Validation error, cannot save post.",
                context="Value in [posts.title] cannot be blank.",
            )
        html = post.get("html", "") if request.query.get("source") == "html" else ""
        slug = self._unique(post.get("slug") or str(post["title"]).lower().replace(" ", "-"))
        stored = {
            "id": uuid.uuid4().hex[:24],
            "uuid": str(uuid.uuid4()),
            "title": post["title"],
            "slug": slug,
            "html": html,
            "status": post.get("status", "draft"),
            "tags": post.get("tags", []),
            "updated_at": self.stamp(),
        }
        stored["url"] = f"{request.url.origin()}/p/{stored['uuid']}/"
        self.posts.append(stored)
        return web.json_response({"posts": [stored]}, status=201)

    def _post(self, post_id: str) -> dict[str, Any] | None:
        return next((post for post in self.posts if post["id"] == post_id), None)

    async def read(self, request: web.Request) -> web.Response:
        post = self._post(request.match_info["id"])
        if post is None:
            return ghost_error(404, "NotFoundError", "Post not found.")
        return web.json_response({"posts": [post]})

    async def edit(self, request: web.Request) -> web.Response:
        """``PUT /posts/{id}/``: ``updated_at`` must be the post's current one."""
        post = self._post(request.match_info["id"])
        if post is None:
            return ghost_error(404, "NotFoundError", "Post not found.")
        edit = ((await request.json()).get("posts") or [{}])[0]
        if not edit.get("updated_at"):
            return ghost_error(
                422,
                "ValidationError",
                "Validation error, cannot edit post.",
                context="Value in [posts.updated_at] cannot be blank.",
            )
        if self.collisions > 0:
            self.collisions -= 1
            self.edit_in_admin(post["id"])
        if edit["updated_at"] != post["updated_at"]:
            return ghost_error(
                409, "UpdateCollisionError", "Saving failed! Someone else is editing this post."
            )
        if post["status"] != "draft" or edit.get("status", "draft") != "draft":
            return ghost_error(422, "ValidationError", "Linkletter must never publish.")
        if "html" in edit and request.query.get("source") == "html":
            post["html"] = edit["html"]
        post.update({k: edit[k] for k in ("title", "slug", "tags") if k in edit})
        post["updated_at"] = self.stamp()
        return web.json_response({"posts": [post]})

    def _unique(self, slug: str) -> str:
        """Ghost appends -2, -3 … to a slug in use."""
        taken = {post["slug"] for post in self.posts}
        candidates = itertools.chain([slug], (f"{slug}-{n}" for n in itertools.count(2)))
        return next(candidate for candidate in candidates if candidate not in taken)

    async def by_slug(self, request: web.Request) -> web.Response:
        for post in self.posts:
            if post["slug"] == request.match_info["slug"]:
                return web.json_response({"posts": [post]})
        return ghost_error(404, "NotFoundError", "Post not found.")


# --- Mailchimp ----------------------------------------------------------------------------

CAMPAIGN_TYPES = ("regular", "plaintext", "absplit", "rss", "variate")


def mailchimp_error(status: int, title: str, detail: str, **extra: Any) -> web.Response:
    body = {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
        **extra,
    }
    return web.json_response(body, status=status, content_type="application/problem+json")


@dataclass
class FakeMailchimp:
    api_key: str
    lists: tuple[str, ...] = ("a1b2c3d4e5",)
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[str] = field(default_factory=list)
    content_failures: int = 0  # the next N content PUTs answer 500
    outages: Outages = field(default_factory=Outages)
    _web_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(101))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.outages.middleware, self.authenticate])
        app.router.add_post("/3.0/campaigns", self.create)
        app.router.add_get("/3.0/campaigns", self.list_campaigns)
        app.router.add_get("/3.0/campaigns/{id}", self.read)
        app.router.add_patch("/3.0/campaigns/{id}", self.update)
        app.router.add_put("/3.0/campaigns/{id}/content", self.set_content)
        app.router.add_get("/3.0/campaigns/{id}/content", self.get_content)
        app.router.add_post("/3.0/campaigns/{id}/actions/send", self.send)
        return app

    @web.middleware
    async def authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            _, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            password = ""
        if scheme != "Basic" or password != self.api_key:
            return mailchimp_error(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        return await handler(request)

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        problems = []
        if body.get("type") not in CAMPAIGN_TYPES:
            problems.append({"field": "type", "message": "Schema describes enum"})
        if (body.get("recipients") or {}).get("list_id") not in self.lists:
            problems.append({"field": "recipients.list_id", "message": "Invalid list id"})
        if problems:
            return mailchimp_error(
                400,
                "Invalid Resource",
                "The resource submitted could not be validated. For field-specific details, "
                "see the 'errors' array.",
                errors=problems,
            )
        campaign_id = uuid.uuid4().hex[:10]
        self.campaigns[campaign_id] = {
            "id": campaign_id,
            "web_id": next(self._web_ids),
            "type": body["type"],
            "status": "save",
            "recipients": body["recipients"],
            "settings": body.get("settings", {}),
            "html": "",
        }
        return web.json_response(self.public(campaign_id))

    def public(self, campaign_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.campaigns[campaign_id].items() if k != "html"}

    async def list_campaigns(self, request: web.Request) -> web.Response:
        status, list_id = request.query.get("status"), request.query.get("list_id")
        matching = [
            self.public(key)
            for key, campaign in self.campaigns.items()
            if (not status or campaign["status"] == status)
            and (not list_id or campaign["recipients"]["list_id"] == list_id)
        ]
        offset, count = int(request.query.get("offset", 0)), int(request.query.get("count", 10))
        return web.json_response(
            {"campaigns": matching[offset : offset + count], "total_items": len(matching)}
        )

    def _campaign(self, request: web.Request) -> dict[str, Any] | None:
        return self.campaigns.get(request.match_info["id"])

    async def read(self, request: web.Request) -> web.Response:
        campaign = self._campaign(request)
        if campaign is None:
            return _not_found()
        return web.json_response(self.public(campaign["id"]))

    async def update(self, request: web.Request) -> web.Response:
        campaign = self._campaign(request)
        if campaign is None:
            return _not_found()
        if campaign["status"] != "save":
            return _already_sent()
        settings = (await request.json()).get("settings") or {}
        missing = [
            {"field": f"settings.{name}", "message": "This value should not be blank."}
            for name in ("subject_line", "from_name", "reply_to")
            if not settings.get(name)
        ]
        if missing:
            return mailchimp_error(
                400,
                "Invalid Resource",
                "The resource submitted could not be validated.",
                errors=missing,
            )
        campaign["settings"] = {**campaign["settings"], **settings}
        return web.json_response(self.public(campaign["id"]))

    async def set_content(self, request: web.Request) -> web.Response:
        campaign = self._campaign(request)
        if campaign is None:
            return _not_found()
        if campaign["status"] != "save":
            return _already_sent()
        if self.content_failures > 0:
            self.content_failures -= 1
            return mailchimp_error(500, "Internal Server Error", "An unexpected error occurred.")
        campaign["html"] = (await request.json()).get("html", "")
        return web.json_response({"html": campaign["html"]})

    async def get_content(self, request: web.Request) -> web.Response:
        campaign = self._campaign(request)
        if campaign is None:
            return _not_found()
        return web.json_response({"html": campaign["html"]})

    async def send(self, request: web.Request) -> web.Response:
        self.sent.append(request.match_info["id"])
        self.mark_sent(request.match_info["id"])
        return web.Response(status=204)

    def mark_sent(self, campaign_id: str) -> None:
        """The campaign went out (sent by an editor from Mailchimp)."""
        self.campaigns[campaign_id]["status"] = "sent"


def _not_found() -> web.Response:
    return mailchimp_error(404, "Resource Not Found", "The requested resource could not be found.")


def _already_sent() -> web.Response:
    return mailchimp_error(400, "Bad Request", "This campaign has already been sent.")
