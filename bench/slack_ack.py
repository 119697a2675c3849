"""Slack acknowledgement under load: signed Events API deliveries POSTed to ``/slack/events``
at a steady rate while the enrichment worker fetches slow pages; time to HTTP 200.

The app (real ``SlackAdapter.routes()`` in Starlette under uvicorn, real ``CurationService`` on
SQLite, real ``EnrichmentWorker``) runs in a child process; this process plays Slack (the
protocol fake, for ``auth.test`` and the receipts), serves the slow pages and generates the
load with aiohttp on its own event loop, open-loop (a send never waits for an earlier answer).

    python -m bench.slack_ack [--rate 200] [--seconds 60] [--page-delay 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench import machine, workload
from bench.enrich import slow_server
from storage.db import Database
from tests.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, sign

ROOT = Path(__file__).resolve().parents[1]
TARGET_P99_MS = 100.0


async def serve(database_url: str, slack_api_url: str, port_file: Path) -> None:
    """The child: the app on an ephemeral port (written to ``port_file``) until SIGTERM."""
    import logging
    import signal

    import uvicorn
    from starlette.applications import Starlette

    from adapters.slack.connection import SlackAdapter
    from adapters.slack.settings import SlackSettings
    from bot.app.runner import favour_the_event_loop
    from bot.curate.service import CurationService
    from bot.enrich.enricher import Enricher
    from bot.enrich.fetch import FetchSettings
    from bot.enrich.worker import EnrichmentWorker
    from storage.db import Database

    favour_the_event_loop()  # as ``linkletter run`` does

    warnings, first = _count_warnings(logging.getLogger())
    config = workload.config()
    db = Database.connect(database_url)
    db.upgrade()
    core = CurationService(config, db)
    settings = SlackSettings(BOT_TOKEN, SIGNING_SECRET, api_url=slack_api_url)
    adapter = SlackAdapter(core, settings, channels=[f"slack:{c}" for c in workload.CHANNELS])
    enricher = Enricher(FetchSettings(allow_private_networks=True, max_attempts=1))
    worker = EnrichmentWorker(config, db, enricher)
    core.listeners.append(lambda _event, outcome: worker.wake() if outcome.item_ids else None)
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=adapter.routes()),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
        )
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await adapter.start()
    web = asyncio.create_task(server.serve())
    enrichment = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.5))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no startup event
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    await asyncio.to_thread(port_file.write_text, str(port))
    await stop.wait()
    server.should_exit = True
    await asyncio.gather(web, enrichment)
    await adapter.stop()
    await enricher.aclose()
    db.dispose()
    print(f"  the app logged {sum(warnings.values())} warnings/errors: {dict(warnings)}")
    for logger, message in first.items():
        print(f"    first from {logger}: {message}")


def _count_warnings(root: Any) -> tuple[dict[str, int], dict[str, str]]:
    """Count what the app logs at WARNING and above, by logger, instead of printing it all;
    keep the first message of each logger."""
    import logging

    counts: dict[str, int] = {}
    first: dict[str, str] = {}

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            counts[record.name] = counts.get(record.name, 0) + 1
            first.setdefault(record.name, record.getMessage()[:200])

    root.addHandler(Counter(logging.WARNING))
    return counts, first


def _start_app(database_url: str, slack_api_url: str, port_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.slack_ack", "--serve", database_url, slack_api_url,
         str(port_file)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
    )  # fmt: skip


def _port(port_file: Path) -> int | None:
    text = port_file.read_text() if port_file.exists() else ""
    return int(text) if text else None


async def _wait_for_port(port_file: Path, app: subprocess.Popen[str]) -> int:
    async with asyncio.timeout(60):
        while (port := await asyncio.to_thread(_port, port_file)) is None:
            if app.poll() is not None:
                raise RuntimeError("the app process exited during startup")
            await asyncio.sleep(0.05)
    return port


async def deliver(
    session: aiohttp.ClientSession, url: str, envelope: dict[str, Any], latencies: list[float]
) -> int:
    """POST one delivery as Slack does; the time to the answer goes into ``latencies``.

    A keep-alive connection the server closed just as it was reused (after an idle pause) is
    retried, as Slack retries a failed delivery; the latency counts from the first attempt.
    """
    body = json.dumps(envelope).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(SIGNING_SECRET, stamp, body),
    }
    started = time.perf_counter()
    for retry in range(3):
        try:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                return response.status
        except aiohttp.ClientConnectionError:  # a closed keep-alive connection, a reset
            if retry == 2:
                raise
            headers |= {"X-Slack-Retry-Num": str(retry + 1), "X-Slack-Retry-Reason": "http_error"}
    raise AssertionError("unreachable")


async def load(
    slack: FakeSlack, url: str, envelopes: list[dict[str, Any]], rate: float
) -> tuple[list[float], int]:
    """Send each envelope at its slot (``rate`` per second); latencies in ms and non-200s.

    Each message enters the fake's channel history as it is sent, as on Slack, so receipts
    find it and the app's startup backfill finds nothing to replay.
    """
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        tasks = []
        for index, envelope in enumerate(envelopes):
            await asyncio.sleep(max(0.0, start + index / rate - time.perf_counter()))
            slack.add_message(envelope["event"]["channel"], envelope["event"])
            tasks.append(asyncio.create_task(deliver(session, url, envelope, latencies)))
        statuses = await asyncio.gather(*tasks)
    return latencies, sum(status != 200 for status in statuses)


def applied(database_url: str) -> int:
    """Messages stored (live deliveries and the backfill's copies of them count once). A read:
    on SQLite it must not queue behind the bot's writes for the write lock (a long enough queue
    is "database is locked")."""
    db = Database.connect(database_url)
    try:
        with db.reading() as uow:
            return uow.items.message_count()
    finally:
        db.dispose()


@dataclass
class AckRun:
    latencies: list[float]
    failures: int
    elapsed: float
    applied_at_end_of_load: int


async def _against_app(
    slack: FakeSlack, envelopes: list[dict[str, Any]], rate: float, directory: Path
) -> AckRun:
    database_url = f"sqlite:///{directory / 'ack.db'}"
    port_file = directory / "port"
    app = _start_app(database_url, slack.api_url, port_file)
    try:
        port = await _wait_for_port(port_file, app)
        url = f"http://127.0.0.1:{port}/slack/events"
        await load(slack, url, envelopes[:20], rate=50)  # warm-up: bolt's auth.test, imports
        started = time.perf_counter()
        latencies, failures = await load(slack, url, envelopes[20:], rate)
        elapsed = time.perf_counter() - started
        return AckRun(latencies, failures, elapsed, applied(database_url))
    finally:
        app.terminate()  # the fake Slack must keep answering while the app stops
        await asyncio.to_thread(app.wait, 120)


async def run(rate: float, seconds: float, page_delay: float) -> list[str]:
    with (
        tempfile.TemporaryDirectory(prefix="linkletter-ack-") as directory,
        slow_server(page_delay) as page_port,
    ):
        async with FakeSlack() as slack:
            for channel in workload.CHANNELS:
                slack.add_channel(channel, channel.lower())
            base = f"http://127.0.0.1:{page_port}"
            envelopes = workload.link_shares(int(rate * seconds) + 20, seed=2, base=base)
            result = await _against_app(slack, envelopes, rate, Path(directory))
        drained = applied(f"sqlite:///{Path(directory) / 'ack.db'}")
    latencies = result.latencies
    p99 = machine.percentile(latencies, 0.99)
    return [
        f"slack ack: {len(latencies)} signed events at {rate:.0f}/s for {result.elapsed:.0f} s, "
        f"pages answering in {page_delay:g} s",
        f"  time to HTTP 200: p50 {machine.percentile(latencies, 0.5):.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(latencies):.1f} ms; non-200: {result.failures}",
        f"  messages stored: {result.applied_at_end_of_load} when the load stopped, "
        f"{drained} of {len(envelopes)} after the shutdown drain",
        f"  target p99 < {TARGET_P99_MS:.0f} ms: {'MET' if p99 < TARGET_P99_MS else 'NOT MET'}",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--page-delay", type=float, default=2.0)
    parser.add_argument("--serve", nargs=3, metavar=("DB_URL", "SLACK_API_URL", "PORT_FILE"))
    args = parser.parse_args(argv)
    if args.serve:
        database_url, slack_api_url, port_file = args.serve
        asyncio.run(serve(database_url, slack_api_url, Path(port_file)))
        return
    print(machine.describe())
    print("\n".join(asyncio.run(run(args.rate, args.seconds, args.page_delay))))


if __name__ == "__main__":
    main()
