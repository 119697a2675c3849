"""What ``linkletter run`` writes on stderr (issue 17): one INFO line per thing a person cares
about, no library chatter or health-probe access lines, and the same in ``--log-format json``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app.logs import activity_logger, configure
from bot.events import AddReaction, Outcome
from storage.db import Database
from tests.core.helpers import ANN, EDITOR, post, react
from tests.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.slack.helpers import WATCHED, RecordingCore, in_channel, load_fixture, make_adapter


async def _read_until(stream: asyncio.StreamReader, lines: list[str], pattern: str) -> str:
    while True:
        try:
            raw = await asyncio.wait_for(stream.readline(), 60)
        except TimeoutError:
            raise AssertionError(f"no {pattern!r} in:\n" + "".join(lines)) from None
        if not raw:
            raise AssertionError("run ended early:\n" + "".join(lines))
        line = raw.decode()
        lines.append(line)
        if re.search(pattern, line):
            return line


async def test_run_logs_its_work_as_json_lines_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "linkletter.toml").write_text(
        f'[web]\nport = 0\n\n[[digest]]\nname = "weekly"\nsources = ["slack:{WATCHED}"]\n'
    )
    database_url = f"sqlite:///{tmp_path / 'run.db'}"
    Database.connect(database_url).upgrade()
    async with FakeSlack() as slack:
        slack.add_channel(WATCHED, "links")
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "DISCORD_", "LINKLETTER_"))
        } | {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "LINKLETTER_DATABASE_URL": database_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--log-format", "json",
            cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        lines: list[str] = []
        try:
            started = await _read_until(process.stderr, lines, "linkletter is running")
            base = json.loads(started)["msg"].rsplit(" ", 1)[-1]
            event = in_channel(load_fixture("events_link.json"))
            event["event"]["ts"] = slack.next_ts()
            event["event"]["text"] = "<https://example.org/paper>"  # its own: members-only
            assert await slack.post_event(f"{base}/slack/events", event) == 200
            await _read_until(process.stderr, lines, '"event": "captured"')
            async with httpx.AsyncClient(base_url=base) as client:
                for probe in ("/healthz", "/readyz", "/metrics"):
                    assert (await client.get(probe)).status_code == 200
        finally:
            process.send_signal(signal.SIGTERM)
            _, rest = await asyncio.wait_for(process.communicate(), 60)
        lines += rest.decode().splitlines(keepends=True)
    assert process.returncode == 0, "".join(lines)
    records = [json.loads(line) for line in lines if line.strip()]
    assert all({"ts", "level", "logger", "msg"} <= record.keys() for record in records)
    [captured] = [r for r in records if r.get("event") == "captured"]
    assert captured["level"] == "info"
    assert captured["channel"] == f"slack:{WATCHED}"
    assert re.fullmatch(r"item \d+ captured: .+ in slack:C0WATCHED", captured["msg"])
    chatter = [r for r in records if not r["logger"].startswith(("bot", "adapters"))]
    assert [r for r in chatter if r["level"] in ("debug", "info")] == []
    assert not [r for r in records if re.search("healthz|readyz|metrics", r["msg"])]
    assert not [r for r in records if "error" in r or r["level"] in ("error", "critical")]
    assert [r["msg"] for r in records if r["logger"] == "bot.app.runner"] == [
        started and json.loads(started)["msg"],
        "stopping: finishing work in flight",
        "stopped",
    ]


def test_activity_lines_in_text_format(caplog: pytest.LogCaptureFixture) -> None:
    listen = activity_logger("inbox_tray")
    shared = post("slack:C1", "1", ANN, "https://a.com")
    receipt = AddReaction("slack:C1", "1", "inbox_tray")
    with caplog.at_level(logging.INFO, logger="bot.activity"):
        listen(shared, Outcome(effects=(receipt,), item_ids=(3,)))
        listen(shared, Outcome(duplicate=True, item_ids=(3,)))  # a redelivery: nothing
        listen(shared, Outcome(item_ids=(3,)))  # shared again, or a why reply
        listen(react("slack:C1", "1", EDITOR, "white_check_mark", 1), Outcome(item_ids=(3,)))
        listen(post("slack:C1", "2", ANN, "no link here"), Outcome())
    assert [r.getMessage() for r in caplog.records] == [
        "item 3 captured: Ann in slack:C1",
        "item 3 updated: Ann in slack:C1",
        "item 3: Eddie reacted :white_check_mark: in slack:C1",
    ]
    fields: dict[str, Any] = caplog.records[0].linkletter_fields  # type: ignore[attr-defined]
    assert fields == {
        "event": "captured",
        "user": "Ann",
        "channel": "slack:C1",
        "message_id": "1",
        "items": "3",
    }


def test_libraries_are_quiet_unless_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure(logging.INFO, json_lines=True)
        sdk = logging.getLogger("discord.client")
        sdk.warning("PyNaCl is not installed, voice will NOT be supported")  # every start
        sdk.warning("Shard ID None heartbeat blocked for more than 10 seconds.")
        [record] = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
        assert record["msg"].startswith("Shard ID None heartbeat blocked")
        for name in ("apscheduler.executors.default", "uvicorn.access", "slack_bolt.App"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO)
        assert logging.getLogger("bot.activity").isEnabledFor(logging.INFO)
        configure(logging.INFO, json_lines=False, verbose=True)
        assert logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)
    finally:
        configure(logging.WARNING, json_lines=False)
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


async def test_the_slack_apps_own_logger_is_quiet_too() -> None:
    """bolt gives its app logger the root's level (INFO under `linkletter run`), so "A new
    session has been established" went out on every Socket Mode connect."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure(logging.INFO, json_lines=False)
        async with FakeSlack() as slack:
            adapter = make_adapter(slack, RecordingCore(), socket_mode=True)
            assert not adapter.app.logger.isEnabledFor(logging.INFO)
    finally:
        configure(logging.WARNING, json_lines=False)
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


async def test_a_page_that_cannot_be_read_is_one_info_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.app.wiring import fetch_settings
    from bot.enrich.enricher import Enricher
    from bot.enrich.worker import EnrichmentWorker
    from tests.core.helpers import service

    db = Database.connect(f"sqlite:///{tmp_path / 'enrich.db'}")
    db.upgrade()
    core = service(db)  # private addresses are refused: the page cannot be fetched
    core.handle_sync(post("slack:C1", "1", ANN, "http://127.0.0.1:9/private"))
    enricher = Enricher(fetch_settings(core.config))
    try:
        with caplog.at_level(logging.INFO, logger="bot.enrich.worker"):
            assert await EnrichmentWorker(core.config, db, enricher).run_once() == 1
    finally:
        await enricher.aclose()
        db.dispose()
    [line] = [r for r in caplog.records if r.name == "bot.enrich.worker"]
    assert line.levelno == logging.INFO
    assert line.exc_info is None
    assert line.getMessage().startswith("item 1: cannot read http://127.0.0.1:9/private: refused")
    assert line.linkletter_fields["event"] == "enrichment_failed"  # type: ignore[attr-defined]
