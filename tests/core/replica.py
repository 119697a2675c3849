"""One scheduler replica as its own process: ``python -m tests.core.replica DB_URL POSTS_FILE``.

It ticks once at a fixed moment just after Monday 09:00 and "posts" by appending one JSON line
per message to POSTS_FILE (O_APPEND, so concurrent writers never interleave a line).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from typing import Any

from bot.app.wiring import build_engine
from bot.config import parse_config
from bot.deliver.notify import EditorNotifier
from bot.deliver.scheduler import DigestScheduler
from bot.events import Effect
from storage.db import Database
from tests.core.test_scheduler import CONFIG, MONDAY_9


class FilePublisher:
    platform = "slack"

    def __init__(self, path: str) -> None:
        self.path = path

    def _lines(self) -> list[dict[str, Any]]:
        with open(self.path, encoding="utf-8") as posts:
            return [json.loads(line) for line in posts if line.strip()]

    async def post(self, channel: str, payload: dict[str, Any], key: str) -> str:
        line = json.dumps({"channel": channel, "key": key, "pid": os.getpid()}) + "\n"
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(descriptor, line.encode())
        finally:
            os.close(descriptor)
        return key

    async def find_posted(self, channel: str, key: str) -> str | None:
        found = [p for p in self._lines() if p["channel"] == channel and p["key"] == key]
        return key if found else None

    async def direct_message(self, user: str, payload: dict[str, Any]) -> None:
        return None

    async def apply(self, effect: Effect) -> None:
        return None


async def tick(url: str, path: str) -> None:
    config = parse_config(CONFIG)
    db = Database.connect(url)
    publisher = FilePublisher(path)
    engine = build_engine(config, db, {"slack": publisher})
    engine.now = lambda: MONDAY_9 + timedelta(seconds=1)
    scheduler = DigestScheduler(
        config, engine, EditorNotifier({"slack": publisher}), now=engine.now
    )
    await scheduler.tick()
    db.dispose()


if __name__ == "__main__":
    asyncio.run(tick(sys.argv[1], sys.argv[2]))
