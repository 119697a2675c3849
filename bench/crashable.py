"""The process the fault tests kill with SIGKILL at random points.

    python -m bench.crashable replay EVENTS.jsonl DATABASE_URL
    python -m bench.crashable publish DATABASE_URL LEDGER.jsonl PERIOD START_NUMBER

``replay`` feeds Slack Events API envelopes through the real translator and
``CurationService.handle_batch`` in bursts of 1 to 100 events (one transaction each, as the
event consumer hands them over), from the first line each time it is started: after a crash
everything is redelivered and the durable dedup must absorb it, as when Slack retries.
``publish`` runs the real ``PublishEngine`` for one period against a destination that appends
each message it receives to a ledger file (the stand-in for a chat channel, which keeps what
was posted however the poster dies) and can be searched for a key, like Slack message metadata.
START_NUMBER (0, 1, 2…) moves the clock past the lease of the previous, killed start, as a
restart after a real crash sees it (each process is a new lease owner).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.discord.render import render_discord
from adapters.slack.render import render_slack
from bench import workload
from bot.curate.service import CurationService
from bot.deliver.destinations import Destination
from bot.deliver.engine import LEASE, PublishEngine
from bot.digest.model import CompiledIssue
from bot.events import ChatEvent
from storage.db import Database

DIGEST = "weekly"
BURSTS = (1, 10, 100, 3, 50)  # events per transaction, in turn
POST_SECONDS = 0.02  # how long one post takes: leaves room for a kill between post and record


def replay(events: Path, url: str) -> None:
    db = Database.connect(url)
    core = CurationService(workload.config(), db)
    try:
        asyncio.run(_in_bursts(core, list(workload.neutral(workload.read_jsonl(events)))))
    finally:
        db.dispose()  # the last connection closing checkpoints the WAL into the file


async def _in_bursts(core: CurationService, events: list[ChatEvent]) -> None:
    start, sizes = 0, itertools.cycle(BURSTS)
    while start < len(events):
        size = next(sizes)
        await core.handle_batch(events[start : start + size])
        start += size


@dataclass
class LedgerDestination:
    """A channel that keeps every message it received, in a file (fsynced per message)."""

    ledger: Path
    name: str
    render: Callable[[CompiledIssue], list[dict[str, Any]]]

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return list(self.render(issue))

    async def post(self, part: Any, key: str) -> str:
        await asyncio.sleep(POST_SECONDS)
        return await asyncio.to_thread(self._append, part, key)

    def _append(self, part: Any, key: str) -> str:
        with self.ledger.open("a") as out:
            out.write(json.dumps({"key": key, "part": part}) + "\n")
            out.flush()
            os.fsync(out.fileno())
        return key

    async def find(self, key: str) -> str | None:
        return key if key in received_keys(self.ledger) else None


def received(ledger: Path) -> list[dict[str, Any]]:
    if not ledger.exists():
        return []
    return [json.loads(line) for line in ledger.read_text().splitlines() if line]


def received_keys(ledger: Path) -> list[str]:
    return [entry["key"] for entry in received(ledger)]


def publish(url: str, ledger: Path, period: str, start_number: int) -> str:
    destinations: dict[str, Destination] = {
        "ledger-slack": LedgerDestination(ledger, "ledger-slack", render_slack),
        "ledger-discord": LedgerDestination(ledger, "ledger-discord", render_discord),
    }
    engine = PublishEngine(
        workload.config(),
        Database.connect(url),
        destinations=lambda _digest: destinations,
        now=lambda: workload.START + start_number * (LEASE + timedelta(minutes=1)),
        owner=f"crashable-{os.getpid()}",
    )
    report = asyncio.run(engine.publish(DIGEST, period))
    return report.outcome


def main(argv: list[str]) -> None:
    match argv:
        case ["replay", events, url]:
            replay(Path(events), url)
        case ["publish", url, ledger, period, start_number]:
            print(publish(url, Path(ledger), period, int(start_number)), flush=True)
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
