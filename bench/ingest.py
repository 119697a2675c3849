"""Ingest throughput: link-share events per second through the whole core path (links parsed,
URLs canonicalised, duplicates found, facts stored, each touched item re-derived), next to
their floor: the very rows the core stored (processed ids, messages, items, shares), inserted with
one ``executemany`` per table and transaction, with the same commits: one per event, or one per
batch of ``BATCH`` events. Targets (issue 22): batched <= 2x its floor, one event <= 4x.

    python -m bench.ingest [--events 3000] [--profile] [--without-search-triggers]

``--without-search-triggers`` drops the triggers that keep the full-text index current (issue 21)
from every database the run uses, core and floor alike: run it alternately with a plain run to
see what search costs ingest.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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

BATCH = MAX_BATCH  # what the shared event consumer hands the core at most
BATCHED_TARGET = 2.0  # times the floor
PER_EVENT_TARGET = 4.0
STORED = ("processed_event", "message", "item", "share", "reaction", "decision")
Rows = list[tuple[Table, dict[str, Any]]]


@dataclass(frozen=True)
class IngestFigures:
    database: str
    events: int
    rows: int  # rows the core stored for them
    core: float  # events/s, one transaction per event (handle_sync)
    batched: float  # events/s, one transaction per BATCH events (handle_batch)
    floor_per_event: float  # events/s: the same rows by executemany, one commit per event
    floor_batched: float  # events/s: the same rows by executemany, one commit per BATCH events

    def lines(self) -> list[str]:
        per_event = self.floor_per_event / self.core
        batched = self.floor_batched / self.batched
        return [
            f"ingest [{self.database}] {self.events} link-share events "
            f"({self.rows} rows stored, {self.rows / self.events:.2f} per event)",
            f"  core handle_sync  (1 tx/event):   {self.core:7.0f} events/s",
            f"  floor, same rows  (1 tx/event):   {self.floor_per_event:7.0f} events/s "
            f"(core {per_event:.1f}x; target <= {PER_EVENT_TARGET:.0f}x: "
            f"{_verdict(per_event, PER_EVENT_TARGET)})",
            f"  core handle_batch ({BATCH}/tx):     {self.batched:7.0f} events/s",
            f"  floor, same rows  ({BATCH}/tx):     {self.floor_batched:7.0f} events/s "
            f"(core {batched:.1f}x; target <= {BATCHED_TARGET:.0f}x: "
            f"{_verdict(batched, BATCHED_TARGET)})",
        ]


def _verdict(ratio: float, target: float) -> str:
    return "MET" if ratio <= target else "NOT MET"


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


def floor_insert(engine: Engine, rows: Rows, transactions: int) -> None:
    """Insert ``rows`` with one ``executemany`` per table per transaction, ``transactions``
    commits in all: the least any code storing these rows with these commits must do."""
    by_table: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    for table, row in rows:
        by_table[table].append(row)
    for part in range(transactions):
        with engine.begin() as connection:
            for table, table_rows in by_table.items():
                size = -(-len(table_rows) // transactions)
                if chunk := table_rows[part * size : (part + 1) * size]:
                    connection.execute(insert(table), chunk)


@contextmanager
def fresh(kind: str, search_triggers: bool = True) -> Iterator[Database]:
    """A fresh database of ``kind``, without the search index's triggers if asked."""
    with databases.fresh(kind) as db:
        if not search_triggers:
            drop_search_triggers(db)
        yield db


def drop_search_triggers(db: Database) -> None:
    """Drop the triggers that keep ``item_search`` current (the index stays, unfed)."""
    if db.is_sqlite:
        found = (
            "SELECT name, '' FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'item_search%'"
        )
    else:
        found = (
            "SELECT tgname, ' ON ' || tgrelid::regclass FROM pg_trigger "
            "WHERE tgname LIKE 'item_search%%'"
        )
    with db.engine.begin() as connection:
        for name, table in connection.exec_driver_sql(found).all():
            connection.exec_driver_sql(f"DROP TRIGGER {name}{table}")


def floor_rate(
    kind: str, rows: Rows, events: int, per_transaction: int, search_triggers: bool = True
) -> float:
    with fresh(kind, search_triggers) as db:
        transactions = -(-events // per_transaction)
        return _rate(events, lambda: floor_insert(db.engine, rows, transactions))


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


def measure(kind: str, count: int, search_triggers: bool = True) -> IngestFigures:
    events = shares(count)
    with fresh(kind, search_triggers) as db:
        core = _rate(len(events), lambda: core_path(db, events))
    with fresh(kind, search_triggers) as db:
        batched = _rate(len(events), lambda: batched_path(db, events))
        rows = stored_rows(db)
    per_event = floor_rate(kind, rows, len(events), 1, search_triggers)
    floor_batched = floor_rate(kind, rows, len(events), BATCH, search_triggers)
    return IngestFigures(kind, len(events), len(rows), core, batched, per_event, floor_batched)


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
    parser.add_argument(
        "--without-search-triggers", action="store_true", help="ingest without search indexing"
    )
    args = parser.parse_args(argv)
    print(machine.describe())
    triggers = not args.without_search_triggers
    if not triggers:
        print("without the search index's triggers")
    for kind in databases.kinds():
        print("\n".join(measure(kind, args.events, triggers).lines()))
    if args.profile:
        profile(args.events)


if __name__ == "__main__":
    main()
