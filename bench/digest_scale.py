"""Digest at scale: compile and render the next issue from a database holding 1,000,000 items
of which 50 are approved and waiting, and show the plan of the compile query.

The rows go in with bulk inserts (executemany on SQLite, COPY on PostgreSQL); the timed part is
the production code: ``PublishEngine.compile_next`` (one transaction) and every renderer.

    python -m bench.digest_scale [--items 1000000] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.engine import Connection

from bench import databases, machine, workload
from bot.deliver.engine import PublishEngine
from bot.digest.model import CompiledIssue
from bot.digest.render import formats, render
from storage.db import Database
from storage.issues import IssueRepo
from storage.models import Issue, Share

APPROVED = 50
TARGET_MS = 200.0
NOW = workload.START + timedelta(days=6)
CHUNK = 50_000
ITEM_COLUMNS = (
    "id", "digest", "canonical_url", "url", "status", "featured", "votes", "enrich_status",
    "enrich_attempts", "created_at", "updated_at", "first_shared_at", "published_issue_id",
    "title", "summary", "section",
)  # fmt: skip


def _item_row(number: int, approved: bool) -> tuple[Any, ...]:
    """Old published history, except the last ``APPROVED`` rows: this week's approved links."""
    shared = NOW - (timedelta(hours=number % 150) if approved else timedelta(days=7 + number % 900))
    url = f"https://site{number % 997}.example.com/posts/{number}"
    status, issue = ("approved", None) if approved else ("published", 1 + number // 50)
    section = "Data Engineering" if number % 3 == 0 else None
    return (
        number, "weekly", url, url, status, number % 17 == 0, number % 7, "done", 1, shared,
        shared, shared, issue, f"Article {number}: a title of ordinary length",
        "A summary sentence or two, as a page's description usually is.", section,
    )  # fmt: skip


def item_rows(count: int) -> Iterator[tuple[Any, ...]]:
    for number in range(1, count + 1):
        yield _item_row(number, approved=number > count - APPROVED)


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load_items(
    connection: Connection, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]
) -> None:
    """Bulk-load item rows: executemany in chunks on SQLite, ``COPY`` on PostgreSQL."""
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO item ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - fixed names
        for chunk in _chunks(rows):
            connection.exec_driver_sql(statement, chunk)
        return
    cursor = connection.connection.cursor()
    with cursor.copy(f"COPY item ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    connection.exec_driver_sql("SELECT setval('item_id_seq', (SELECT max(id) FROM item))")


def populate(db: Database, count: int) -> None:
    """``count`` items, one share per waiting item, and the issues the old items went out in."""
    with db.engine.begin() as connection:
        load_items(connection, ITEM_COLUMNS, item_rows(count))
        waiting = range(count - APPROVED + 1, count + 1)
        connection.execute(insert(Share), [_share(n) for n in waiting])
        last = 1 + (count - APPROVED) // 50
        connection.execute(insert(Issue), [_issue(n) for n in (last,)])
        if not db.is_sqlite:
            connection.exec_driver_sql("ANALYZE")  # autovacuum would; SQLite never does by itself


def _share(number: int) -> dict[str, Any]:
    return {
        "item_id": number,
        "channel": "slack:C0LINKS",
        "message_id": f"{number}.000100",
        "url": f"https://site{number % 997}.example.com/posts/{number}",
        "text": "worth reading",
        "active": True,
        "user": f"slack:U{number % 40:04d}",
        "user_name": f"Reader {number % 40}",
        "shared_at": NOW - timedelta(hours=number % 150),
    }


def _issue(number: int) -> dict[str, Any]:
    published = NOW - timedelta(days=7)
    return {
        "digest": "weekly", "period": f"p{number}", "number": number, "title": f"#{number}",
        "state": "published", "compiled": "{}", "created_at": published,
        "published_at": published,
    }  # fmt: skip


@dataclass
class CapturedQuery:
    statement: str
    parameters: Any


@contextmanager
def capture_item_queries(db: Database) -> Iterator[list[CapturedQuery]]:
    """Record the SQL the production code sends that reads the item table by status."""
    captured: list[CapturedQuery] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM item" in statement and "status" in statement:
            captured.append(CapturedQuery(statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield captured
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def explain(db: Database, query: CapturedQuery) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + query.statement, query.parameters).all()
    return [" | ".join(str(value) for value in row) for row in rows]


def _ms(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


def compile_once(db: Database, engine: PublishEngine) -> CompiledIssue:
    digest = engine.config.digest("weekly")
    with db.session() as session:
        return engine.compile_next(IssueRepo(session), digest, NOW)


def render_all(issue: CompiledIssue) -> None:
    for fmt in formats():
        render(issue, fmt)


def measure(db: Database, runs: int = 5) -> list[str]:
    engine = PublishEngine(workload.config(), db, destinations=lambda _digest: {})
    with capture_item_queries(db) as captured:
        cold_ms, issue = _ms(lambda: compile_once(db, engine))
    compile_ms = sorted(_ms(lambda: compile_once(db, engine))[0] for _ in range(runs))
    render_ms = sorted(_ms(lambda: render_all(issue))[0] for _ in range(runs))
    total = compile_ms[runs // 2] + render_ms[runs // 2]
    lines = [
        f"  issue: {len(issue.items)} items in {len(issue.sections)} sections",
        f"  compile (first run): {cold_ms:7.1f} ms",
        f"  compile (median of {runs}): {compile_ms[runs // 2]:7.1f} ms",
        f"  render all {len(formats())} formats (median): {render_ms[runs // 2]:7.1f} ms",
        f"  compile + render: {total:.1f} ms; target < {TARGET_MS:.0f} ms: "
        f"{'MET' if total < TARGET_MS and cold_ms < TARGET_MS else 'NOT MET'}",
        "  plan of the compile query:",
    ]
    lines += [f"    {line}" for query in captured[:1] for line in explain(db, query)]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args(argv)
    print(machine.describe())
    with databases.fresh(args.database) as db:
        load_s = _ms(lambda: populate(db, args.items))[0] / 1000
        print(f"digest at scale [{args.database}] {args.items:,} items ({load_s:.1f} s to load)")
        print("\n".join(measure(db)))


if __name__ == "__main__":
    main()
