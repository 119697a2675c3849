"""Slack users' display names, for issues and ``/stats``: messages from people carry only a
user id. Looked up with ``users.info`` after their events are stored (so a lookup never
delays or fails capture), refreshed by ``user_change`` events and after ``max_age``; the core
stores each name and puts it on that person's earlier shares."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.translate import display_name, raw_id, slack_id
from bot.events import ChatEvent, MessageEdited, MessagePosted
from bot.ports import Core

log = logging.getLogger(__name__)
DAY = 24 * 3600.0


class UserNames:
    """Resolves the names of the people whose events pass by, each at most once per
    ``max_age`` (also after a failed lookup), ``concurrency`` lookups at a time."""

    def __init__(
        self, client: AsyncWebClient, core: Core, *, max_age: float = DAY, concurrency: int = 2
    ) -> None:
        self.client = client
        self.core = core
        self.max_age = max_age
        self._checked: dict[str, float] = {}  # user -> when its lookup was started
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def notice(self, events: Iterable[ChatEvent]) -> None:
        """Start a lookup for each author in ``events`` the event itself does not name."""
        for event in events:
            author = event.author if isinstance(event, MessagePosted | MessageEdited) else None
            if author is not None and not author.name:
                self.want(author.id)

    def want(self, user: str) -> None:
        """Look ``user`` up unless that was done within ``max_age`` or it is a bot id (``B…``),
        which ``users.info`` does not know."""
        if not raw_id(user).startswith(("U", "W")):
            return
        if time.monotonic() - self._checked.get(user, -self.max_age) < self.max_age:
            return
        self._checked[user] = time.monotonic()
        task = asyncio.create_task(self._look_up(user), name=f"slack-users-info-{user}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def learn(self, user: Mapping[str, Any]) -> None:
        """A user object Slack sent (``user_change``): store its name now."""
        user_id, name = user.get("id"), display_name(user)
        if isinstance(user_id, str) and user_id and name:
            self._checked[slack_id(user_id)] = time.monotonic()
            await self.core.name_resolved(slack_id(user_id), name)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _look_up(self, user: str) -> None:
        try:
            async with self._slots:
                response = await self.client.users_info(user=raw_id(user))
            found = response.get("user")
            name = display_name(found) if isinstance(found, Mapping) else None
            if name:
                await self.core.name_resolved(user, name)
        except SlackApiError as error:
            log.warning(
                "no display name for %s (users.info: %s); shown by id until it resolves",
                user,
                error.response.get("error"),
            )
        except Exception:  # a name is cosmetic: never let it take anything down
            log.exception("resolving the display name of %s failed", user)
