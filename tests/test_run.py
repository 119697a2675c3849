"""``linkletter run`` end to end: the real runner (Slack over HTTP events against the fake
Slack, enrichment worker, scheduler, web server) on a real SQLite file, stopped cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bot.config import parse_config
from bot.runner import StartupError, serve
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
        stop, bound = asyncio.Event(), asyncio.get_running_loop().create_future()
        running = asyncio.create_task(
            serve(parse_config(CONFIG), db, "127.0.0.1", 0, stop=stop, ready=bound.set_result)
        )
        port = await asyncio.wait_for(bound, 30)
        base = f"http://127.0.0.1:{port}"
        event = in_channel(load_fixture("events_link.json"))
        event["event"]["ts"] = slack.next_ts()
        assert await slack.post_event(f"{base}/slack/events", event) == 200
        await slack.wait_for(lambda: bool(_items(db)))
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            metrics = (await client.get("/metrics")).text
        processed = 'linkletter_events_processed_total{kind="message_posted",platform="slack"} 1.0'
        assert processed in metrics
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
