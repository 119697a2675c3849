"""Memory: resident set size of ``linkletter run`` with both adapters connected (to the
protocol fakes of Slack and Discord), idle, and after ingesting 100,000 events delivered as
signed Slack Events API POSTs (in chunks, each applied before the next is sent, so the figure is
the steady state and not a queue).

RSS is also printed as the ingest goes (every tenth of the events, ``--every`` to change it), so
a plateau can be told from a leak; the peak is the kernel's high-water mark (``VmHWM``).
``linkletter run`` caps glibc's malloc arenas itself (``bot.app.runner.limit_malloc_arenas``); a
``MALLOC_ARENA_MAX`` in this environment is passed on to it and said in the output.

    python -m bench.memory [--events 100000] [--chunk 500] [--every 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
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
TARGET_MB = 100.0  # issue 22
DISCORD_CHANNEL = "263607951971975168"  # a text channel of the fake's GUILD_CREATE capture


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    command = ["-m", "bot", "run", "--host", "127.0.0.1", "--port", str(port)]
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
                 database_url: str, stored: Callable[[int], None]) -> None:  # fmt: skip
    """POST the envelopes ``chunk`` at a time; wait until each chunk is stored, then tell
    ``stored`` how many are."""
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
            stored(wanted)


def _config_text() -> str:
    return workload.CONFIG_TEXT.replace(
        'sources = ["slack:', f'sources = ["discord:{DISCORD_CHANNEL}", "slack:'
    )


def _arenas() -> str:
    setting = os.environ.get("MALLOC_ARENA_MAX")
    if setting is None:
        return "malloc arenas: linkletter run's own cap (bot.app.runner.limit_malloc_arenas)"
    return f"malloc arenas: MALLOC_ARENA_MAX={setting} from the environment"


class Progress:
    """Prints RSS every ``every`` events (at chunk boundaries) while the ingest goes on."""

    def __init__(self, pid: int, every: int, started: float) -> None:
        self.pid, self.every, self.started = pid, every, started
        self.next = every

    def __call__(self, stored: int) -> None:
        if stored < self.next:
            return
        self.next = (stored // self.every + 1) * self.every
        took, rss = time.perf_counter() - self.started, machine.rss_mb(self.pid)
        print(f"  ... {stored:,} events stored ({took:.0f} s): {rss:.0f} MB RSS", flush=True)


async def measure(events: int, chunk: int, every: int) -> list[str]:
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
                print(f"  ... idle: {idle:.0f} MB RSS", flush=True)
                started = time.perf_counter()
                url = f"http://127.0.0.1:{port}/slack/events"
                progress = Progress(app.pid, every, started)
                await ingest(slack, url, envelopes, chunk, database_url, progress)
                took = time.perf_counter() - started
                after = machine.rss_mb(app.pid)
                peak = machine.rss_mb(app.pid, "VmHWM")
            finally:
                app.terminate()
                await asyncio.to_thread(app.wait, 120)
        await discord.stop()
    return [
        "memory: linkletter run, Slack (HTTP events) and Discord (gateway) adapters on the fakes; "
        + _arenas(),
        f"  idle: {idle:.0f} MB RSS",
        f"  after ingesting {events:,} events ({took:.0f} s, {events / took:.0f} events/s): "
        f"{after:.0f} MB RSS, peak {peak:.0f} MB",
        f"  target < {TARGET_MB:.0f} MB: {'MET' if max(idle, after) < TARGET_MB else 'NOT MET'}",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--every", type=int, help="print RSS every N events (default: a tenth)")
    args = parser.parse_args(argv)
    print(machine.describe())
    every = args.every or max(args.chunk, args.events // 10)
    print("\n".join(asyncio.run(measure(args.events, args.chunk, every))))


if __name__ == "__main__":
    main()
