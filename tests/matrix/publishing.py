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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.matrix.publisher import MatrixPublisher
from adapters.matrix.rooms import Rooms
from adapters.matrix.settings import MatrixSettings, connected
from bot.config import Config, DigestConfig, parse_config
from bot.curate.service import CurationService
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.events import Author, MessagePosted, ReactionAdded
from storage.db import Database


class PublisherThatDies(MatrixPublisher):
    """Killed with SIGKILL as soon as its first post returns."""

    async def post(self, channel: str, payload: dict[str, Any], key: str) -> str:
        posted = await super().post(channel, payload, key)
        os.kill(os.getpid(), signal.SIGKILL)
        return posted


def engine_for(
    config: Config,
    db: Database,
    publisher: MatrixPublisher,
    clock_ahead: timedelta = timedelta(0),
) -> PublishEngine:
    """An engine posting through ``publisher`` (the registry renders for Matrix);
    ``clock_ahead`` moves its clock forward (past a dead process's claim on the period)."""

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return build_destinations(digest.publish_to, {"matrix": publisher})

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
        publisher = PublisherThatDies(client, Rooms(client), me)
        await engine_for(config, db, publisher).publish("weekly", period)


if __name__ == "__main__":
    db_url, config_file, homeserver, token, period = sys.argv[1:6]
    config = parse_config(Path(config_file).read_text())
    asyncio.run(publish_then_die(db_url, config, homeserver, token, period))
