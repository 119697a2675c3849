"""``ghost:NAME``: a Ghost draft post through the Admin API, HTML body. Never published.

Auth: a JWT made for each request from the Admin API key ``"{id}:{hex secret}"``: HS256, header
``kid`` = id, claims ``iat``, ``exp`` = iat + 5 min, ``aud`` = ``"/admin/"``, signed with the
hex-decoded secret, sent as ``Authorization: Ghost <token>``. Built with the standard library
(hmac, base64): the format is small and fixed, not worth a dependency.

Updating the draft made at preview time: ``GET /ghost/api/admin/posts/{id}/`` for its status and
current ``updated_at``, then ``PUT`` the title and HTML with that ``updated_at`` (Ghost's
collision check). If someone saves the post in between, Ghost answers 409
``UpdateCollisionError``; the post is read again and the update retried once.

Finding a post again: the post's slug is derived from the delivery key, and
``GET /ghost/api/admin/posts/slug/{slug}/`` answers 200 or 404. (An editor who renames the
slug before a crashed run resumes defeats this; a crash leaves seconds, not hours.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.deliver.destinations import SavedDraft
from bot.deliver.services._drafts import DraftPlatform
from bot.deliver.services._http import (
    PlatformError,
    RetryPolicy,
    error_detail,
    request,
    secret_from_env,
)
from bot.deliver.services.settings import GhostSettings
from bot.digest.model import CompiledIssue
from bot.digest.render import render_html_page

API = "/ghost/api/admin"
ACCEPT_VERSION = "v5.0"
TOKEN_LIFETIME = 300
TIMEOUT = 30.0
COLLISION_TRIES = 2  # an editor saving between our read and our write: read again once


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def admin_token(api_key: str, now: float) -> str:
    """A 5-minute Admin API JWT from an ``"id:secret"`` key."""
    key_id, _, secret = api_key.partition(":")
    try:
        signing_key = bytes.fromhex(secret)
    except ValueError:
        signing_key = b""
    if not key_id or not signing_key:
        raise PlatformError("the Ghost Admin API key must look like <id>:<hex secret>")
    header = {"alg": "HS256", "typ": "JWT", "kid": key_id}
    issued = int(now)
    claims = {"iat": issued, "exp": issued + TOKEN_LIFETIME, "aud": "/admin/"}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(signing_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def slug_for(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


@dataclass(frozen=True)
class Post:
    title: str
    html: str


@dataclass
class GhostDestination(DraftPlatform):
    name: str
    settings: GhostSettings
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.time

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return [Post(issue.title, render_html_page(issue))]

    async def _create(self, client: httpx.AsyncClient, part: Any, key: str) -> SavedDraft:
        post: Post = part
        payload = {
            "posts": [
                {
                    "title": post.title,
                    "html": post.html,
                    "status": "draft",
                    "slug": slug_for(key),
                    "tags": [{"name": tag} for tag in self.settings.tags],
                }
            ]
        }
        response = await request(
            client,
            "POST",
            f"{API}/posts/",
            params={"source": "html"},
            json=payload,
            policy=self.retry,
            idempotent=False,
            what="create draft",
        )
        return self._saved(response.json())

    async def _update(
        self, client: httpx.AsyncClient, draft: SavedDraft, part: Any, key: str
    ) -> SavedDraft:
        """Title and HTML only: slug, tags and other settings stay as the editors left them."""
        post: Post = part
        for _ in range(COLLISION_TRIES):
            edit = {"title": post.title, "html": post.html, "updated_at": draft.version}
            response = await request(
                client,
                "PUT",
                f"{API}/posts/{draft.id}/",
                params={"source": "html"},
                json={"posts": [edit]},
                policy=self.retry,
                idempotent=True,
                what="update draft",
                accept=(409,),
            )
            if response.status_code != 409:
                return self._saved(response.json())
            fresh = await self._read(client, draft.id)  # saved by someone else meanwhile
            if fresh is None or not fresh.is_draft:
                break  # deleted or published meanwhile: the next run sees which
            draft = fresh
        raise PlatformError(f"update draft: HTTP 409: {error_detail(response)}")

    async def _read(self, client: httpx.AsyncClient, draft_id: str) -> SavedDraft | None:
        return await self._get(client, f"{API}/posts/{draft_id}/", "read draft")

    async def _lookup(self, client: httpx.AsyncClient, key: str) -> SavedDraft | None:
        return await self._get(client, f"{API}/posts/slug/{slug_for(key)}/", "look up draft")

    async def _get(self, client: httpx.AsyncClient, url: str, what: str) -> SavedDraft | None:
        response = await request(
            client, "GET", url, policy=self.retry, idempotent=True, what=what, accept=(404,)
        )
        return None if response.status_code == 404 else self._saved(response.json())

    def _client(self) -> httpx.AsyncClient:
        token = admin_token(secret_from_env(self.settings.api_key_env), self.clock())
        return httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers={"Authorization": f"Ghost {token}", "Accept-Version": ACCEPT_VERSION},
            timeout=TIMEOUT,
        )

    def _saved(self, reply: dict[str, Any]) -> SavedDraft:
        post = (reply.get("posts") or [{}])[0]
        if "id" not in post:
            raise PlatformError("the reply has no post id")
        link = f"{self.settings.base_url.rstrip('/')}/ghost/#/editor/post/{post['id']}"
        return SavedDraft(
            str(post["id"]),
            link,
            is_draft=post.get("status", "draft") == "draft",
            version=post.get("updated_at"),
        )
