"""The Discord client as a ``bot.platform.Connection``: the gateway runs on its own task."""

from __future__ import annotations

import asyncio
import logging

from starlette.routing import BaseRoute

from adapters.discord.bot import DiscordSettings, LinkletterDiscord, run
from adapters.discord.publisher import DiscordPublisher

log = logging.getLogger(__name__)


class DiscordConnection:
    """``start`` returns at once: the gateway connects (and reconnects) in the background, and
    a failure to connect is logged when it happens (and shows in /readyz)."""

    def __init__(self, client: LinkletterDiscord, settings: DiscordSettings) -> None:
        self.client = client
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    @property
    def publisher(self) -> DiscordPublisher:
        return self.client.publisher

    def routes(self) -> list[BaseRoute]:
        return []  # the gateway is a connection out; nothing comes in over HTTP

    async def start(self) -> None:
        self._task = asyncio.create_task(run(self.client, self.settings.token), name="discord")
        self._task.add_done_callback(_report_failure)

    async def stop(self) -> None:
        """Close the gateway; the runner bounds how long this may take."""
        await self.client.close()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    def is_connected(self) -> bool:
        return self.client.is_ready()


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped: %s", task.get_name(), task.exception())
