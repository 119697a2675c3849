"""Ingest throughput: link-share events per second through the whole core path (links parsed,
URLs canonicalised, duplicates found, facts stored, the item re-derived, one transaction per
event via ``CurationService.handle_sync``), next to raw SQLAlchemy inserts of the same rows into
a plain table on the same database: one commit per event, and all rows in one transaction.

    python -m bench.ingest [--events 3000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.engine import Engine

from bench import databases, machine, workload
from bot.events import ChatEvent, MessagePosted
from bot.service import CurationService
from storage.db import Database

TARGET_RATE = 1000.0
BATCH = 100
TARGET_RATIO = 3.0

RAW = MetaData()
RAW_SHARES = Table(
    "bench_raw_share",
    RAW,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(200), unique=True, nullable=False),
    Column("channel", String(100), nullable=False),
    Column("message_id", String(100), nullable=False),
    Column("author", String(100)),
    Column("text", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class IngestFigures:
    database: str
    events: int
    core: float  # events/s, one transaction per event
    batched: float | None  # events/s through a batch API, when the core has one
    raw_per_event: float  # rows/s, one commit per row
    raw_one_transaction: float  # rows/s, one commit for all

    def lines(self) -> list[str]:
        ratio = self.raw_per_event / self.core
        lines = [
            f"ingest [{self.database}] {self.events} link-share events",
            f"  core handle_sync (1 tx/event): {self.core:8.0f} events/s",
            f"  raw insert, commit per row:    {self.raw_per_event:8.0f} rows/s "
            f"(core is {ratio:.1f}x slower)",
            f"  raw insert, one transaction:   {self.raw_one_transaction:8.0f} rows/s "
            f"(core is {self.raw_one_transaction / self.core:.1f}x slower)",
        ]
        if self.batched is not None:
            lines.append(
                f"  core handle_batch ({BATCH}/tx):     {self.batched:8.0f} events/s "
                f"(raw one transaction is {self.raw_one_transaction / self.batched:.1f}x faster)"
            )
        if self.database == "sqlite":
            met = _meets(self.core, self.raw_per_event) or (
                self.batched is not None and _meets(self.batched, self.raw_one_transaction)
            )
            lines.append(
                f"  target >= {TARGET_RATE:.0f}/s and <= {TARGET_RATIO:.0f}x raw: "
                f"{'MET' if met else 'NOT MET'}"
            )
        return lines


def _meets(rate: float, raw: float) -> bool:
    """The issue's target, comparing like with like (per-event commits, or one transaction)."""
    return rate >= TARGET_RATE and raw / rate <= TARGET_RATIO


def _rate(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def _rows(events: Sequence[MessagePosted]) -> list[dict[str, Any]]:
    return [
        {
            "event_id": e.event_id,
            "channel": e.channel,
            "message_id": e.message_id,
            "author": e.author.id,
            "text": e.text,
            "at": e.at,
        }
        for e in events
    ]


def raw_per_event(engine: Engine, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        with engine.begin() as connection:
            connection.execute(insert(RAW_SHARES), row)


def raw_one_transaction(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for row in rows:
            connection.execute(insert(RAW_SHARES), row)


def _raw_rate(db: Database, rows: list[dict[str, Any]], load: Callable[..., None]) -> float:
    RAW.drop_all(db.engine)
    RAW.create_all(db.engine)
    return _rate(len(rows), lambda: load(db.engine, rows))


def core_path(db: Database, events: Sequence[ChatEvent]) -> None:
    core = CurationService(workload.config(), db)
    for event in events:
        core.handle_sync(event)


async def _in_batches(core: CurationService, events: Sequence[ChatEvent]) -> None:
    for start in range(0, len(events), BATCH):
        await core.handle_batch(events[start : start + BATCH])


def batched_path(db: Database, events: Sequence[ChatEvent]) -> float | None:
    """The core's batch API (``handle_batch``: one transaction per ``BATCH`` events)."""
    core = CurationService(workload.config(), db)
    if not hasattr(core, "handle_batch"):
        return None
    return _rate(len(events), lambda: asyncio.run(_in_batches(core, events)))


def shares(count: int) -> list[MessagePosted]:
    events = workload.neutral(workload.link_shares(count))
    return [event for event in events if isinstance(event, MessagePosted)]


def measure(kind: str, count: int) -> IngestFigures:
    events = shares(count)
    rows = _rows(events)
    with databases.fresh(kind) as db:
        core = _rate(len(events), lambda: core_path(db, events))
    with databases.fresh(kind) as db:
        batched = batched_path(db, events)
    with databases.fresh(kind) as db:
        per_event = _raw_rate(db, rows, raw_per_event)
        one_tx = _raw_rate(db, rows, raw_one_transaction)
    return IngestFigures(kind, len(events), core, batched, per_event, one_tx)


def profile(count: int, top: int = 25) -> None:
    """cProfile of the core path on SQLite: where the time per event goes."""
    events = shares(count)
    with databases.fresh("sqlite") as db:
        profiler = cProfile.Profile()
        profiler.runcall(core_path, db, events)
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--profile", action="store_true", help="cProfile the core path too")
    args = parser.parse_args(argv)
    print(machine.describe())
    for kind in databases.kinds():
        print("\n".join(measure(kind, args.events).lines()))
    if args.profile:
        profile(args.events)


if __name__ == "__main__":
    main()
