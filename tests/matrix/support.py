"""Helpers for the Matrix tests: waiting for the bot, reading what the core stored."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from storage.db import Database
from storage.models import Item
from storage.repo import Repo

T = TypeVar("T")


async def eventually(check: Callable[[], T], within: float = 30.0) -> T:
    """``check()`` once it is truthy; fails after ``within`` seconds. Checks run in a thread:
    they make blocking calls (the homeserver, the database) that must not stall the bot."""
    deadline = time.monotonic() + within
    while True:
        found = await asyncio.to_thread(check)
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within}s: {check}")
        await asyncio.sleep(0.1)


def items(db: Database, digest: str = "weekly") -> list[Item]:
    with db.session() as session:
        return Repo(session).items(digest)
