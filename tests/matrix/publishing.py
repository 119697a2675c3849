"""Publishing helpers for the Matrix tests, and a script that publishes then dies (kill -9).

``python -m tests.matrix.publishing DB_URL CONFIG_FILE HOMESERVER TOKEN PERIOD`` publishes the
digest and SIGKILLs itself right after the first part was posted, before the engine could
record it: the worst moment for exactly-once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.matrix.publisher import MatrixPublisher
from adapters.matrix.render import render_matrix
from adapters.matrix.rooms import Rooms
from adapters.matrix.settings import MatrixSettings, connected
from bot.config import Config, DigestConfig, parse_config
from bot.curate.service import CurationService
from bot.deliver.destinations import Destination
from bot.deliver.engine import PublishEngine
from bot.digest.model import CompiledIssue
from bot.events import Author, MessagePosted, ReactionAdded
from storage.db import Database


@dataclass
class RoomDestination:
    """A Matrix room as a publish destination (rendered by the adapter's renderer)."""

    name: str
    publisher: MatrixPublisher
    after_post: Callable[[], None] = lambda: None

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return list(render_matrix(issue))

    async def post(self, part: Any, key: str) -> str:
        posted = await self.publisher.post(self.name, part, key)
        self.after_post()
        return posted

    async def find(self, key: str) -> str | None:
        return await self.publisher.find_posted(self.name, key)


def engine_for(
    config: Config,
    db: Database,
    publisher: MatrixPublisher,
    after_post: Callable[[], None] = lambda: None,
    clock_ahead: timedelta = timedelta(0),
) -> PublishEngine:
    """An engine posting through ``publisher``; ``clock_ahead`` moves its clock forward (past
    a dead process's claim on the period)."""

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return {name: RoomDestination(name, publisher, after_post) for name in digest.publish_to}

    return PublishEngine(config, db, destinations, now=lambda: datetime.now(UTC) + clock_ahead)


def this_week() -> str:
    year, week, _ = datetime.now(UTC).isocalendar()
    return f"{year}-W{week:02d}"


async def approved_items(core: CurationService, channel: str, editor: str, count: int) -> None:
    """``count`` shares in ``channel``, each approved by ``editor``, with long URLs so the
    issue needs several messages."""
    at = datetime.now(UTC) - timedelta(hours=1)
    events: list[Any] = []
    for n in range(count):
        url = f"https://example.org/{n}/" + "long-path-" * 180
        events.append(MessagePosted(f"seed:{n}", channel, f"m{n}", Author("matrix:@s:x"), url, at))
        events.append(ReactionAdded(f"seed-ok:{n}", channel, f"m{n}", Author(editor), "✅", at))
    await core.handle_batch(events)


async def publish_then_die(
    db_url: str, config: Config, homeserver: str, token: str, period: str
) -> None:
    db = Database.connect(db_url)
    async with connected(MatrixSettings(homeserver=homeserver, access_token=token)) as client:
        me = str((await client.whoami())["user_id"])
        publisher = MatrixPublisher(client, Rooms(client), me)
        engine = engine_for(config, db, publisher, lambda: os.kill(os.getpid(), signal.SIGKILL))
        await engine.publish("weekly", period)


if __name__ == "__main__":
    db_url, config_file, homeserver, token, period = sys.argv[1:6]
    config = parse_config(Path(config_file).read_text())
    asyncio.run(publish_then_die(db_url, config, homeserver, token, period))
