"""``mailchimp:NAME``: a Mailchimp regular campaign saved as a draft, HTML content. Never sent
(this module has no call to ``/actions/send`` or ``/actions/schedule``).

Two calls: ``POST /3.0/campaigns`` (type ``regular``, the audience, subject, from name,
reply-to), then ``PUT /3.0/campaigns/{id}/content`` with the HTML. Basic auth
``anystring:<key>``; the key ends in ``-<dc>`` (``…-us6``), which gives the API host
``https://us6.api.mailchimp.com`` and the editor link on ``us6.admin.mailchimp.com``.

Finding a campaign again: the internal campaign title (not shown to readers) ends with
``[<delivery key>]``; saved campaigns of the audience are listed and matched. ``post`` reuses a
campaign it finds that way, so a crash between the two calls fills in the same campaign
instead of making a second; ``find`` only counts a campaign whose content was set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.digest.model import CompiledIssue
from bot.digest.render import render_html_email
from bot.publish.platforms._http import PlatformError, RetryPolicy, request, secret_from_env
from bot.publish.platforms.settings import MailchimpSettings

PAGE = 1000  # the API's maximum ``count``
TIMEOUT = 30.0


def datacenter(api_key: str) -> str:
    _, dash, dc = api_key.rpartition("-")
    if not dash or not dc.isalnum():
        raise PlatformError("the Mailchimp API key must end in -<datacenter> (e.g. -us6)")
    return dc


@dataclass(frozen=True)
class Campaign:
    subject: str
    html: str


@dataclass
class MailchimpDestination:
    name: str
    settings: MailchimpSettings
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return [Campaign(issue.title, render_html_email(issue))]

    async def post(self, part: Any, key: str) -> str:
        campaign: Campaign = part
        async with self._client() as client:
            found = await self._lookup(client, key) or await self._create(client, campaign, key)
            await request(
                client,
                "PUT",
                f"/3.0/campaigns/{found['id']}/content",
                json={"html": campaign.html},
                policy=self.retry,
                idempotent=True,
                what="set content",
            )
        return self._editor_url(found)

    async def find(self, key: str) -> str | None:
        async with self._client() as client:
            found = await self._lookup(client, key)
            if found is None:
                return None
            content = await request(
                client,
                "GET",
                f"/3.0/campaigns/{found['id']}/content",
                params={"fields": "html"},
                policy=self.retry,
                idempotent=True,
                what="read content",
            )
        return self._editor_url(found) if content.json().get("html") else None

    async def _create(
        self, client: httpx.AsyncClient, campaign: Campaign, key: str
    ) -> dict[str, Any]:
        payload = {
            "type": "regular",
            "recipients": {"list_id": self.settings.list_id},
            "settings": {
                "subject_line": campaign.subject,
                "title": f"{campaign.subject} [{key}]",
                "from_name": self.settings.from_name,
                "reply_to": self.settings.reply_to,
            },
        }
        response = await request(
            client,
            "POST",
            "/3.0/campaigns",
            json=payload,
            policy=self.retry,
            idempotent=False,
            what="create campaign",
        )
        created: dict[str, Any] = response.json()
        return created

    async def _lookup(self, client: httpx.AsyncClient, key: str) -> dict[str, Any] | None:
        """The saved campaign of this audience whose title carries ``key``."""
        marker, offset = f"[{key}]", 0
        while True:
            response = await request(
                client,
                "GET",
                "/3.0/campaigns",
                policy=self.retry,
                idempotent=True,
                what="list campaigns",
                params={
                    "status": "save",
                    "list_id": self.settings.list_id,
                    "count": PAGE,
                    "offset": offset,
                    "fields": "campaigns.id,campaigns.web_id,campaigns.settings.title,total_items",
                },
            )
            page = response.json()
            for campaign in page.get("campaigns", []):
                if campaign.get("settings", {}).get("title", "").endswith(marker):
                    found: dict[str, Any] = campaign
                    return found
            offset += PAGE
            if offset >= page.get("total_items", 0):
                return None

    def _client(self) -> httpx.AsyncClient:
        key = secret_from_env(self.settings.api_key_env)
        dc = datacenter(key)  # checked even with a base_url: the editor link needs it
        base = self.settings.base_url or f"https://{dc}.api.mailchimp.com"
        return httpx.AsyncClient(
            base_url=base, auth=httpx.BasicAuth("anystring", key), timeout=TIMEOUT
        )

    def _editor_url(self, campaign: dict[str, Any]) -> str:
        dc = datacenter(secret_from_env(self.settings.api_key_env))
        return f"https://{dc}.admin.mailchimp.com/campaigns/edit?id={campaign['web_id']}"
