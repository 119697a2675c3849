"""``linkletter run`` stops on SIGTERM within seconds whatever the network does: Slack going
away mid-run, or unreachable while the bot starts (Socket Mode retries its first connection
forever), must not hold the process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from storage.db import Database
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack.helpers import WATCHED
from tests.test_run_logs import _read_until

STOP_WITHIN = 20.0  # seconds from SIGTERM to exit


def _socket_mode(api_url: str) -> dict[str, str]:
    """Slack in Socket Mode against the fake Slack at ``api_url``."""
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": api_url}


async def _start_run(
    tmp_path: Path, platform: dict[str, str], source: str = f"slack:{WATCHED}"
) -> asyncio.subprocess.Process:
    """``linkletter run`` with the ``platform`` environment, watching ``source``."""
    (tmp_path / "linkletter.toml").write_text(
        f'[web]\nport = 0\n\n[[digest]]\nname = "weekly"\nsources = ["{source}"]\n'
    )
    database_url = f"sqlite:///{tmp_path / 'run.db'}"
    Database.connect(database_url).upgrade()
    env = (
        {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "DISCORD_", "LINKLETTER_"))
        }
        | platform
        | {"LINKLETTER_DATABASE_URL": database_url}
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _stop(process: asyncio.subprocess.Process, lines: list[str]) -> str:
    """SIGTERM; the whole log once it exited (AssertionError if it is still running)."""
    assert process.stderr is not None
    process.send_signal(signal.SIGTERM)
    try:
        _, rest = await asyncio.wait_for(process.communicate(), STOP_WITHIN)
    except TimeoutError:
        process.kill()
        _, rest = await process.communicate()
        lines += rest.decode().splitlines(keepends=True)
        raise AssertionError(f"running {STOP_WITHIN}s after SIGTERM:\n" + "".join(lines)) from None
    lines += rest.decode().splitlines(keepends=True)
    return "".join(lines)


def _assert_stopped_cleanly(process: asyncio.subprocess.Process, log: str) -> None:
    assert process.returncode == 0, log
    stopping = log.index("stopping: finishing work in flight")
    assert "Traceback" not in log[stopping:], log
    assert log.rstrip().endswith("stopped"), log


async def test_sigterm_stops_socket_mode_after_slack_went_away(tmp_path: Path) -> None:
    slack = FakeSlack()
    await slack.__aenter__()
    slack.add_channel(WATCHED, "links")
    process = await _start_run(tmp_path, _socket_mode(slack.api_url))
    assert process.stderr is not None
    lines: list[str] = []
    try:
        await _read_until(process.stderr, lines, "linkletter is running")
        await slack.wait_connected()
    finally:
        await slack.__aexit__(None, None, None)
    await asyncio.sleep(1)  # the client sees the close and starts reconnecting
    _assert_stopped_cleanly(process, await _stop(process, lines))


async def test_sigterm_stops_socket_mode_while_slack_is_unreachable_at_start(
    tmp_path: Path,
) -> None:
    async with FakeSlack() as gone:
        api_url = gone.api_url  # a port nobody listens on once the fake is closed
    process = await _start_run(tmp_path, _socket_mode(api_url))
    assert process.stderr is not None
    lines: list[str] = []
    await _read_until(process.stderr, lines, "Failed to connect")  # Socket Mode retrying
    log = await _stop(process, lines)
    _assert_stopped_cleanly(process, log)
    assert "linkletter is running" not in log


async def test_sigterm_stops_discord_while_the_gateway_is_unreachable(tmp_path: Path) -> None:
    from tests.discord.fake_discord import FakeDiscord

    gone = FakeDiscord()
    await gone.start()
    await gone.stop()  # a port nobody listens on
    platform = {
        "DISCORD_TOKEN": gone.token,
        "DISCORD_API_URL": gone.api_url,
        "DISCORD_GATEWAY_URL": gone.gateway_url,
    }
    process = await _start_run(tmp_path, platform, source="discord:123")
    assert process.stderr is not None
    lines: list[str] = []
    await _read_until(process.stderr, lines, "linkletter is running")
    await asyncio.sleep(1)  # discord.py is trying to log in
    _assert_stopped_cleanly(process, await _stop(process, lines))
