"""``buttondown:NAME``: a Buttondown draft e-mail made from the issue's Markdown. Never sent.

``POST /v1/emails`` with ``Authorization: Token <key>`` and ``status: "draft"``. The API version is
pinned to 2026-04-01, in which a missing status also means draft and sending needs an extra
confirmation header (older versions default to *sending*, hence the explicit status too).
The draft made at preview time is read (``GET /v1/emails/{id}``) and, while it is still a
draft, updated with the final issue at publish (``PATCH /v1/emails/{id}``: subject and body).

Finding a draft again: the delivery key is stored in the e-mail's ``metadata``; lookups list
drafts (``GET /v1/emails?status=draft``, following ``next``) and match it. Buttondown cannot
filter e-mails by metadata on the server, so this reads the drafts page by page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.deliver.destinations import SavedDraft
from bot.deliver.services._drafts import DraftPlatform
from bot.deliver.services._http import PlatformError, RetryPolicy, request, secret_from_env
from bot.deliver.services.settings import ButtondownSettings
from bot.digest.model import CompiledIssue
from bot.digest.render import render_markdown
from bot.digest.render.markdown import front_matter

API_VERSION = "2026-04-01"
METADATA_KEY = "linkletter_key"
TIMEOUT = 30.0


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str


@dataclass
class ButtondownDestination(DraftPlatform):
    name: str
    settings: ButtondownSettings
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def parts(self, issue: CompiledIssue) -> list[Any]:
        """The Markdown without its front matter: Buttondown would show it as text."""
        body = render_markdown(issue).removeprefix(front_matter(issue)).lstrip("\n")
        return [Draft(issue.title, body)]

    async def _create(self, client: httpx.AsyncClient, part: Any, key: str) -> SavedDraft:
        draft: Draft = part
        payload = {
            "subject": draft.subject,
            "body": draft.body,
            "status": "draft",
            "metadata": {METADATA_KEY: key},
        }
        response = await request(
            client,
            "POST",
            "/v1/emails",
            policy=self.retry,
            idempotent=False,
            what="create draft",
            json=payload,
        )
        return self._saved(response.json())

    async def _update(
        self, client: httpx.AsyncClient, draft: SavedDraft, part: Any, key: str
    ) -> SavedDraft:
        content: Draft = part
        response = await request(
            client,
            "PATCH",
            f"/v1/emails/{draft.id}",
            policy=self.retry,
            idempotent=True,
            what="update draft",
            json={"subject": content.subject, "body": content.body},
        )
        return self._saved(response.json())

    async def _read(self, client: httpx.AsyncClient, draft_id: str) -> SavedDraft | None:
        response = await request(
            client,
            "GET",
            f"/v1/emails/{draft_id}",
            policy=self.retry,
            idempotent=True,
            what="read draft",
            accept=(404,),
        )
        return None if response.status_code == 404 else self._saved(response.json())

    async def _lookup(self, client: httpx.AsyncClient, key: str) -> SavedDraft | None:
        url: str | None = "/v1/emails?status=draft"
        while url:
            response = await request(
                client, "GET", url, policy=self.retry, idempotent=True, what="list drafts"
            )
            page = response.json()
            for email in page.get("results", []):
                if (email.get("metadata") or {}).get(METADATA_KEY) == key:
                    return self._saved(email)
            url = page.get("next")
        return None

    def _client(self) -> httpx.AsyncClient:
        key = secret_from_env(self.settings.api_key_env)
        return httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers={"Authorization": f"Token {key}", "X-API-Version": API_VERSION},
            timeout=TIMEOUT,
        )

    def _saved(self, email: dict[str, Any]) -> SavedDraft:
        if "id" not in email:
            raise PlatformError("the reply has no draft id")
        link = f"{self.settings.app_url.rstrip('/')}/emails/{email['id']}"
        return SavedDraft(str(email["id"]), link, is_draft=email.get("status") == "draft")
