"""``linkletter run`` with only Matrix configured: the runner finds the platform through the
registry, the bot captures from a real Synapse room and receipts it, ``/readyz`` reports the
connection, and SIGTERM-style stop is clean."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from adapters.matrix.translate import ref
from bot.app.runner import serve
from bot.config import parse_config
from storage.db import Database
from tests.matrix.support import eventually, items
from tests.matrix.synapse import Synapse, User


async def test_run_captures_from_a_matrix_room(
    homeserver: Synapse,
    alice: User,
    bot_account: User,
    sqlite_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    room = alice.create_room(invite=(bot_account.user_id,))
    for variable in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "MATRIX_USER_ID", "MATRIX_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MATRIX_HOMESERVER_URL", homeserver.url)
    monkeypatch.setenv("MATRIX_ACCESS_TOKEN", bot_account.token)
    config = parse_config(
        f'[web]\nport = 0\n\n[[digest]]\nname = "weekly"\nsources = ["{ref(room)}"]\n'
    )
    stop, bound = asyncio.Event(), asyncio.get_running_loop().create_future()
    running = asyncio.create_task(
        serve(config, sqlite_db, "127.0.0.1", 0, stop=stop, ready=bound.set_result)
    )
    port = await asyncio.wait_for(bound, 60)
    alice.say(room, "run it: https://example.org/run")
    await eventually(
        lambda: [i.canonical_url for i in items(sqlite_db)] == ["https://example.org/run"]
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert "matrix" in ready.text
    stop.set()
    await asyncio.wait_for(running, 30)
