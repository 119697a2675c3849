"""Ingest throughput: link-share events per second through the whole core path (links parsed,
URLs canonicalised, duplicates found, facts stored, each touched item re-derived), next to raw
SQLAlchemy Core inserts of the very rows the core stored (processed ids, messages, items, shares),
row by row, with the same transactions: one per event, or one per batch of ``BATCH`` events.

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

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bench import databases, machine, workload
from bot.curate.service import CurationService
from bot.events import ChatEvent, MessagePosted
from bot.ports import MAX_BATCH
from storage.db import Database

TARGET_RATE = 1000.0
BATCH = MAX_BATCH  # what the shared event consumer hands the core at most
TARGET_RATIO = 3.0
STORED = ("processed_event", "message", "item", "share", "reaction", "decision")
Rows = list[tuple[Table, dict[str, Any]]]


@dataclass(frozen=True)
class IngestFigures:
    database: str
    events: int
    rows: int  # rows the core stored for them
    core: float  # events/s, one transaction per event (handle_sync)
    batched: float  # events/s, one transaction per BATCH events (handle_batch)
    raw_per_event: float  # events/s: the same rows, raw, one commit per event
    raw_batched: float  # events/s: the same rows, raw, one commit per BATCH events

    def lines(self) -> list[str]:
        lines = [
            f"ingest [{self.database}] {self.events} link-share events "
            f"({self.rows} rows stored, {self.rows / self.events:.2f} per event)",
            f"  core handle_sync  (1 tx/event):   {self.core:7.0f} events/s",
            f"  raw, same rows    (1 tx/event):   {self.raw_per_event:7.0f} events/s "
            f"(core is {self.raw_per_event / self.core:.1f}x slower)",
            f"  core handle_batch ({BATCH}/tx):     {self.batched:7.0f} events/s",
            f"  raw, same rows    ({BATCH}/tx):     {self.raw_batched:7.0f} events/s "
            f"(core is {self.raw_batched / self.batched:.1f}x slower)",
        ]
        if self.database == "sqlite":
            met = _meets(self.batched, self.raw_batched) or _meets(self.core, self.raw_per_event)
            lines.append(
                f"  target >= {TARGET_RATE:.0f} events/s and <= {TARGET_RATIO:.0f}x raw: "
                f"{'MET' if met else 'NOT MET'}"
            )
        return lines


def _meets(rate: float, raw: float) -> bool:
    """The issue's target, comparing like with like (the same rows and transactions)."""
    return rate >= TARGET_RATE and raw / rate <= TARGET_RATIO


def _rate(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def stored_rows(db: Database) -> Rows:
    """Every row the core stored, table by table in insertion order, without generated ids
    (the raw insert lets the database number them again, as the core did)."""
    tables = SQLModel.metadata.tables
    rows: Rows = []
    with db.engine.connect() as connection:
        for name in STORED:
            table = tables[name]
            generated = {c.name for c in table.primary_key.columns if c.autoincrement is True}
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
                values = {k: v for k, v in row._mapping.items() if k not in generated}
                rows.append((table, values))
    return rows


def raw_insert(engine: Engine, rows: Rows, transactions: int) -> None:
    """Insert ``rows`` one statement each, spread evenly over ``transactions`` commits."""
    per_transaction = -(-len(rows) // transactions)
    for start in range(0, len(rows), per_transaction):
        with engine.begin() as connection:
            for table, values in rows[start : start + per_transaction]:
                connection.execute(insert(table), values)


def raw_rate(kind: str, rows: Rows, events: int, per_transaction: int) -> float:
    with databases.fresh(kind) as db:
        transactions = -(-events // per_transaction)
        return _rate(events, lambda: raw_insert(db.engine, rows, transactions))


def core_path(db: Database, events: Sequence[ChatEvent]) -> None:
    core = CurationService(workload.config(), db)
    for event in events:
        core.handle_sync(event)


async def _in_batches(core: CurationService, events: Sequence[ChatEvent]) -> None:
    for start in range(0, len(events), BATCH):
        await core.handle_batch(events[start : start + BATCH])


def batched_path(db: Database, events: Sequence[ChatEvent]) -> None:
    """The core's batch API: one transaction per ``BATCH`` events, as the event consumer uses."""
    core = CurationService(workload.config(), db)
    asyncio.run(_in_batches(core, events))


def shares(count: int) -> list[MessagePosted]:
    events = workload.neutral(workload.link_shares(count))
    return [event for event in events if isinstance(event, MessagePosted)]


def measure(kind: str, count: int) -> IngestFigures:
    events = shares(count)
    with databases.fresh(kind) as db:
        core = _rate(len(events), lambda: core_path(db, events))
    with databases.fresh(kind) as db:
        batched = _rate(len(events), lambda: batched_path(db, events))
        rows = stored_rows(db)
    per_event = raw_rate(kind, rows, len(events), 1)
    raw_batched = raw_rate(kind, rows, len(events), BATCH)
    return IngestFigures(kind, len(events), len(rows), core, batched, per_event, raw_batched)


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
