"""``linkletter run`` end to end: the real runner (Slack over HTTP events against the fake
Slack, enrichment worker, scheduler, web server) on a real SQLite file, stopped cleanly."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from bot.app.metrics import exposition
from bot.app.runner import StartupError, serve
from bot.config import parse_config
from storage.db import Database
from storage.models import Item
from storage.repo import Repo
from tests.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.slack.helpers import WATCHED, in_channel, load_fixture

CONFIG = f"""
[web]
port = 0

[[digest]]
name = "weekly"
sources = ["slack:{WATCHED}"]
"""


def _counts(metrics: str) -> dict[str, float]:
    """Slack message events received and processed, from a Prometheus exposition."""
    return {
        name: float(value)
        for name, value in re.findall(
            r'^linkletter_events_(\w+)_total\{kind="message_posted",platform="slack"\} (\S+)$',
            metrics,
            re.MULTILINE,
        )
    }


async def test_run_serves_events_health_and_metrics_then_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'run.db'}")
    db.upgrade()
    async with FakeSlack() as slack:
        slack.add_channel(WATCHED, "links")
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
        monkeypatch.delenv("DISCORD_TOKEN", raising=False)
        before = _counts(exposition(None).decode())
        stop, bound = asyncio.Event(), asyncio.get_running_loop().create_future()
        running = asyncio.create_task(
            serve(parse_config(CONFIG), db, "127.0.0.1", 0, stop=stop, ready=bound.set_result)
        )
        port = await asyncio.wait_for(bound, 30)
        base = f"http://127.0.0.1:{port}"
        event = in_channel(load_fixture("events_link.json"))
        event["event"]["ts"] = slack.next_ts()
        event["event"]["text"] = "<https://example.org/paper>"  # its own: a members-only permalink
        assert await slack.post_event(f"{base}/slack/events", event) == 200
        await slack.wait_for(lambda: bool(_items(db)))
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            metrics = (await client.get("/metrics")).text
        # the startup backfill may read the same message from history: one or two events,
        # each received once and applied (the message and its item stay one). The counters are
        # the process's: earlier tests in the same run may have moved them already.
        counts = {name: value - before.get(name, 0.0) for name, value in _counts(metrics).items()}
        assert counts["processed"] in (1.0, 2.0)
        assert counts["received"] == counts["processed"]
        stop.set()
        await asyncio.wait_for(running, 30)
    assert [item.status for item in _items(db)] == ["draft"]


def _items(db: Database) -> list[Item]:
    with db.session() as session:
        return list(Repo(session).items())


async def test_run_refuses_a_platform_without_its_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    db = Database.connect(f"sqlite:///{tmp_path / 'run.db'}")
    db.upgrade()
    with pytest.raises(StartupError, match="SLACK_BOT_TOKEN is not set"):
        await serve(parse_config(CONFIG), db, "127.0.0.1", 0, stop=asyncio.Event())


async def test_discord_refusing_the_intent_is_reported_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Reliability row 8 inside ``linkletter run``: close 4014 stops the Discord connection
    with a logged reason and /readyz says Discord is not ready; the process stays up."""
    from tests.discord.fake_discord import FakeDiscord

    db = Database.connect(f"sqlite:///{tmp_path / 'run.db'}")
    db.upgrade()
    discord = FakeDiscord()
    await discord.start()
    discord.identify_close_code = 4014
    try:
        monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
        monkeypatch.setenv("DISCORD_TOKEN", discord.token)
        monkeypatch.setenv("DISCORD_API_URL", discord.api_url)
        monkeypatch.setenv("DISCORD_GATEWAY_URL", discord.gateway_url)
        config = '[web]\nport = 0\n[[digest]]\nname = "weekly"\nsources = ["discord:123"]\n'
        stop, bound = asyncio.Event(), asyncio.get_running_loop().create_future()
        running = asyncio.create_task(
            serve(parse_config(config), db, "127.0.0.1", 0, stop=stop, ready=bound.set_result)
        )
        port = await asyncio.wait_for(bound, 30)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            async with asyncio.timeout(15):
                while "discord stopped" not in caplog.text:  # noqa: ASYNC110 - polls a log another task writes
                    await asyncio.sleep(0.05)
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "discord" in ready.text
        stop.set()
        await asyncio.wait_for(running, 30)
    finally:
        await discord.stop()
