"""What the Buttondown, Ghost and Mailchimp destinations share: one ``save`` that updates the
draft made at preview time, recovers one an interrupted attempt made, or else creates it.

Updating is safe to repeat (the same content again), so only creating needs care: a draft is
looked up by its key before a second one could be made (``recover``, or the remembered draft
is gone). A draft an editor already sent or published is never touched.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import httpx

from bot.deliver.destinations import SavedDraft


class DraftPlatform(ABC):
    """A newsletter platform's draft API; subclasses speak the platform's HTTP."""

    @abstractmethod
    def _client(self) -> httpx.AsyncClient: ...

    @abstractmethod
    async def _read(self, client: httpx.AsyncClient, draft_id: str) -> SavedDraft | None:
        """The draft with this id; None if the platform no longer has it."""

    @abstractmethod
    async def _lookup(self, client: httpx.AsyncClient, key: str) -> SavedDraft | None:
        """The draft carrying ``key`` (metadata, slug or title), if any."""

    @abstractmethod
    async def _create(self, client: httpx.AsyncClient, part: Any, key: str) -> SavedDraft: ...

    @abstractmethod
    async def _update(
        self, client: httpx.AsyncClient, draft: SavedDraft, part: Any, key: str
    ) -> SavedDraft: ...

    async def save(self, part: Any, key: str, draft_id: str | None, recover: bool) -> SavedDraft:
        async with self._client() as client:
            current = await self._read(client, draft_id) if draft_id else None
            if current is None and (recover or draft_id):
                current = await self._lookup(client, key)
            if current is None:
                return await self._create(client, part, key)
            if not current.is_draft:
                return current  # the editors took it from here
            return await self._update(client, current, part, key)

    async def post(self, part: Any, key: str) -> str:
        return (await self.save(part, key, None, recover=False)).link

    async def find(self, key: str) -> str | None:
        async with self._client() as client:
            found = await self._lookup(client, key)
        return found.link if found else None
