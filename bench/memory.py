"""Memory: resident set size of ``linkletter run`` with both adapters connected (to the
protocol fakes of Slack and Discord), idle, and after ingesting 100,000 events delivered as
signed Slack Events API POSTs (in chunks, each applied before the next is sent, so the figure is
the steady state and not a queue).

When the web server module (``bot.web.app``) is not there yet, the child runs the same
``bot.runner.serve`` with a bare Starlette app holding only the adapters' routes, and says so.

    python -m bench.memory [--events 100000] [--chunk 500]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from bench import machine, workload
from bench.enrich import slow_server
from bench.slack_ack import applied, deliver
from storage.db import Database
from tests.discord.fake_discord import FakeDiscord
from tests.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 150.0
DISCORD_CHANNEL = "263607951971975168"  # a text channel of the fake's GUILD_CREATE capture
HAS_WEB = importlib.util.find_spec("bot.web") is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_without_web(port: int) -> None:
    """The child when ``bot.web.app`` is missing: the real runner, a bare web app."""
    import types

    from starlette.applications import Starlette

    from bot.config import load_config
    from bot.runner import serve

    def create_app(*_args: Any, extra_routes: list[Any], **_kwargs: Any) -> Starlette:
        return Starlette(routes=extra_routes)

    stub = types.ModuleType("bot.web.app")
    stub.create_app = create_app  # type: ignore[attr-defined]
    sys.modules["bot.web"] = types.ModuleType("bot.web")
    sys.modules["bot.web.app"] = stub
    config = load_config(os.environ["LINKLETTER_CONFIG"])
    db = Database.connect(os.environ["LINKLETTER_DATABASE_URL"])
    asyncio.run(serve(config, db, "127.0.0.1", port))


def _start(port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    if HAS_WEB:
        command = ["-m", "bot", "run", "--host", "127.0.0.1", "--port", str(port)]
    else:
        command = ["-m", "bench.memory", "--child", str(port)]
    return subprocess.Popen(  # noqa: S603 - our own modules, fixed arguments
        [sys.executable, *command],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


async def _until_listening(port: int, app: subprocess.Popen[str]) -> None:
    async with asyncio.timeout(120):
        while True:
            if app.poll() is not None:
                raise RuntimeError("linkletter run exited during startup")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.2)
                continue
            writer.close()
            return


async def ingest(slack: FakeSlack, url: str, envelopes: list[dict[str, Any]], chunk: int,
                 database_url: str) -> None:  # fmt: skip
    """POST the envelopes ``chunk`` at a time; wait until each chunk is stored."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as session:
        for start in range(0, len(envelopes), chunk):
            part = envelopes[start : start + chunk]
            for envelope in part:
                slack.add_message(envelope["event"]["channel"], envelope["event"])
            await asyncio.gather(*(deliver(session, url, e, latencies) for e in part))
            wanted = start + len(part)
            while await asyncio.to_thread(applied, database_url) < wanted:  # noqa: ASYNC110 - polls another process
                await asyncio.sleep(0.2)


def _config_text() -> str:
    return workload.CONFIG_TEXT.replace(
        'sources = ["slack:', f'sources = ["discord:{DISCORD_CHANNEL}", "slack:'
    )


async def measure(events: int, chunk: int) -> list[str]:
    with (
        tempfile.TemporaryDirectory(prefix="linkletter-memory-") as directory,
        slow_server(0.05) as page_port,
    ):
        config_path = Path(directory) / "linkletter.toml"
        config_path.write_text(_config_text() + "\n[fetch]\nallow_private_networks = true\n")
        database_url = f"sqlite:///{Path(directory) / 'memory.db'}"
        Database.connect(database_url).upgrade()
        discord = FakeDiscord()
        await discord.start()
        async with FakeSlack() as slack:
            for channel in workload.CHANNELS:
                slack.add_channel(channel, channel.lower())
            env = {
                "LINKLETTER_CONFIG": str(config_path),
                "LINKLETTER_DATABASE_URL": database_url,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "DISCORD_TOKEN": discord.token,
                "DISCORD_API_URL": discord.api_url,
                "DISCORD_GATEWAY_URL": discord.gateway_url,
            }
            port = _free_port()
            app = _start(port, env)
            try:
                await _until_listening(port, app)
                await asyncio.sleep(10)  # connected, backfilled, idle
                idle = machine.rss_mb(app.pid)
                base = f"http://127.0.0.1:{page_port}"  # the enrichment worker fetches them
                envelopes = workload.link_shares(events, seed=4, base=base)
                started = time.perf_counter()
                url = f"http://127.0.0.1:{port}/slack/events"
                await ingest(slack, url, envelopes, chunk, database_url)
                took = time.perf_counter() - started
                after = machine.rss_mb(app.pid)
                peak = machine.rss_mb(app.pid, "VmHWM")
            finally:
                app.terminate()
                await asyncio.to_thread(app.wait, 120)
        await discord.stop()
    what = "linkletter run" if HAS_WEB else "bot.runner.serve without bot.web (not merged yet)"
    return [
        f"memory: {what}, Slack (HTTP events) and Discord (gateway) adapters on the fakes",
        f"  idle: {idle:.0f} MB RSS",
        f"  after ingesting {events:,} events ({took:.0f} s, {events / took:.0f} events/s): "
        f"{after:.0f} MB RSS, peak {peak:.0f} MB",
        f"  target < {TARGET_MB:.0f} MB: {'MET' if max(idle, after) < TARGET_MB else 'NOT MET'}",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--child", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_without_web(args.child)
        return
    print(machine.describe())
    print("\n".join(asyncio.run(measure(args.events, args.chunk))))


if __name__ == "__main__":
    main()
