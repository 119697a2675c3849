"""``mailchimp:NAME``: a Mailchimp regular campaign saved as a draft, HTML content. Never sent
(this module has no call to ``/actions/send`` or ``/actions/schedule``).

Two calls: ``POST /3.0/campaigns`` (type ``regular``, the audience, subject, from name,
reply-to), then ``PUT /3.0/campaigns/{id}/content`` with the HTML. Basic auth
``anystring:<key>``; the key ends in ``-<dc>`` (``…-us6``), which gives the API host
``https://us6.api.mailchimp.com`` and the editor link on ``us6.admin.mailchimp.com``.
The campaign made at preview time is read (``GET /3.0/campaigns/{id}``) and, while it is still
saved (a draft), updated at publish: ``PATCH /3.0/campaigns/{id}`` (settings) and the content.

Finding a campaign again: the internal campaign title (not shown to readers) ends with
``[<delivery key>]``; saved campaigns of the audience are listed and matched. Creating reuses a
campaign it finds that way, so a crash between the two calls fills in the same campaign
instead of making a second; ``find`` only counts a campaign whose content was set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.deliver.destinations import SavedDraft
from bot.deliver.services._drafts import DraftPlatform
from bot.deliver.services._http import PlatformError, RetryPolicy, request, secret_from_env
from bot.deliver.services.settings import MailchimpSettings
from bot.digest.model import CompiledIssue
from bot.digest.render import render_html_email

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
class MailchimpDestination(DraftPlatform):
    name: str
    settings: MailchimpSettings
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return [Campaign(issue.title, render_html_email(issue))]

    async def _create(self, client: httpx.AsyncClient, part: Any, key: str) -> SavedDraft:
        campaign: Campaign = part
        found = await self._campaign_with(client, key)
        if found is None:
            response = await request(
                client,
                "POST",
                "/3.0/campaigns",
                json={
                    "type": "regular",
                    "recipients": {"list_id": self.settings.list_id},
                    "settings": self._settings(campaign, key),
                },
                policy=self.retry,
                idempotent=False,
                what="create campaign",
            )
            found = response.json()
        saved = self._saved(found)
        await self._set_content(client, saved.id, campaign)
        return saved

    async def _update(
        self, client: httpx.AsyncClient, draft: SavedDraft, part: Any, key: str
    ) -> SavedDraft:
        campaign: Campaign = part
        await request(
            client,
            "PATCH",
            f"/3.0/campaigns/{draft.id}",
            json={"settings": self._settings(campaign, key)},
            policy=self.retry,
            idempotent=True,
            what="update campaign",
        )
        await self._set_content(client, draft.id, campaign)
        return draft

    async def _read(self, client: httpx.AsyncClient, draft_id: str) -> SavedDraft | None:
        response = await request(
            client,
            "GET",
            f"/3.0/campaigns/{draft_id}",
            params={"fields": "id,web_id,status"},
            policy=self.retry,
            idempotent=True,
            what="read campaign",
            accept=(404,),
        )
        return None if response.status_code == 404 else self._saved(response.json())

    async def _lookup(self, client: httpx.AsyncClient, key: str) -> SavedDraft | None:
        found = await self._campaign_with(client, key)
        return self._saved(found) if found else None

    async def find(self, key: str) -> str | None:
        async with self._client() as client:
            found = await self._lookup(client, key)
            if found is None:
                return None
            content = await request(
                client,
                "GET",
                f"/3.0/campaigns/{found.id}/content",
                params={"fields": "html"},
                policy=self.retry,
                idempotent=True,
                what="read content",
            )
        return found.link if content.json().get("html") else None

    def _settings(self, campaign: Campaign, key: str) -> dict[str, str]:
        """Subject, sender and the internal title carrying ``key`` (readers never see it)."""
        return {
            "subject_line": campaign.subject,
            "title": f"{campaign.subject} [{key}]",
            "from_name": self.settings.from_name,
            "reply_to": self.settings.reply_to,
        }

    async def _set_content(
        self, client: httpx.AsyncClient, campaign_id: str, campaign: Campaign
    ) -> None:
        await request(
            client,
            "PUT",
            f"/3.0/campaigns/{campaign_id}/content",
            json={"html": campaign.html},
            policy=self.retry,
            idempotent=True,
            what="set content",
        )

    async def _campaign_with(self, client: httpx.AsyncClient, key: str) -> dict[str, Any] | None:
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
                    "fields": "campaigns.id,campaigns.web_id,campaigns.status,"
                    "campaigns.settings.title,total_items",
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

    def _saved(self, campaign: dict[str, Any]) -> SavedDraft:
        if "id" not in campaign or "web_id" not in campaign:
            raise PlatformError("the reply has no campaign id")
        dc = datacenter(secret_from_env(self.settings.api_key_env))
        link = f"https://{dc}.admin.mailchimp.com/campaigns/edit?id={campaign['web_id']}"
        return SavedDraft(str(campaign["id"]), link, is_draft=campaign.get("status") == "save")
