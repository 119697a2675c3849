"""``ghost:NAME``: a Ghost draft post through the Admin API, HTML body. Never published.

Auth: a JWT made for each request from the Admin API key ``"{id}:{hex secret}"``: HS256, header
``kid`` = id, claims ``iat``, ``exp`` = iat + 5 min, ``aud`` = ``"/admin/"``, signed with the
hex-decoded secret, sent as ``Authorization: Ghost <token>``. Built with the standard library
(hmac, base64): the format is small and fixed, not worth a dependency.

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

from bot.digest.model import CompiledIssue
from bot.digest.render import render_html_page
from bot.publish.platforms._http import PlatformError, RetryPolicy, request, secret_from_env
from bot.publish.platforms.settings import GhostSettings

API = "/ghost/api/admin"
ACCEPT_VERSION = "v5.0"
TOKEN_LIFETIME = 300
TIMEOUT = 30.0


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
class GhostDestination:
    name: str
    settings: GhostSettings
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.time

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return [Post(issue.title, render_html_page(issue))]

    async def post(self, part: Any, key: str) -> str:
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
        async with self._client() as client:
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
        return self._editor_url(response.json())

    async def find(self, key: str) -> str | None:
        async with self._client() as client:
            response = await request(
                client,
                "GET",
                f"{API}/posts/slug/{slug_for(key)}/",
                policy=self.retry,
                idempotent=True,
                what="look up draft",
                accept=(404,),
            )
        return None if response.status_code == 404 else self._editor_url(response.json())

    def _client(self) -> httpx.AsyncClient:
        token = admin_token(secret_from_env(self.settings.api_key_env), self.clock())
        return httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers={"Authorization": f"Ghost {token}", "Accept-Version": ACCEPT_VERSION},
            timeout=TIMEOUT,
        )

    def _editor_url(self, reply: dict[str, Any]) -> str:
        posts = reply.get("posts") or [{}]
        if "id" not in posts[0]:
            raise PlatformError("the reply has no post id")
        return f"{self.settings.base_url.rstrip('/')}/ghost/#/editor/post/{posts[0]['id']}"
