"""The enrichment worker and the publish engine wait out a short database outage, as the core
does (one unit of work, ``Database.write``): the work started during the outage finishes once
the database is back, without a restart. On PostgreSQL the connection is cut (a TCP proxy); on
SQLite another process holds the write lock past the busy timeout ("database is locked")."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.tcpproxy import TcpProxy
from bot.config import DigestConfig
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.enrich.model import PageMetadata
from bot.enrich.worker import EnrichmentWorker
from storage.db import Database
from tests.core.helpers import ANN, at, items, post, service
from tests.core.test_publish import Clock, seed

OUTAGE_SECONDS = float(os.environ.get("LINKLETTER_FAULT_OUTAGE", "2"))
T = TypeVar("T")


@dataclass
class Outage:
    """A database the test can make unavailable (``cut``) and bring back (``restore``)."""

    db: Database
    cut: Callable[[], object]
    restore: Callable[[], object]


def _sqlite_outage(db: Database) -> Iterator[Outage]:
    """A second engine on the file whose writers give up after 100 ms; the outage is a lock."""
    impatient = Database.connect(db.url)

    @event.listens_for(impatient.engine, "connect")
    def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 100")

    holder = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
    yield Outage(
        impatient,
        cut=lambda: holder.execute("BEGIN EXCLUSIVE"),
        restore=lambda: holder.execute("ROLLBACK"),
    )
    holder.close()
    impatient.dispose()


def _postgres_outage(db: Database) -> Iterator[Outage]:
    url = make_url(db.url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port)
        proxied = Database.connect(through.render_as_string(hide_password=False))
        yield Outage(proxied, cut=proxy.cut, restore=proxy.restore)
        proxied.dispose()


@pytest.fixture
def outage(db: Database) -> Iterator[Outage]:
    yield from (_sqlite_outage(db) if db.is_sqlite else _postgres_outage(db))


class InstantEnricher:
    """Every page answers at once: the test is about the database, not the fetch."""

    async def enrich(self, url: str) -> PageMetadata:
        return PageMetadata(final_url=url, title="A page", word_count=120)


async def waited_out(outage: Outage, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Start ``work`` during an outage; it must still be waiting when the database is back."""
    outage.cut()
    started = asyncio.create_task(work())
    try:
        await asyncio.sleep(OUTAGE_SECONDS)
        assert not started.done(), "the work should wait for the database, not fail or finish"
    finally:
        outage.restore()
    return await asyncio.wait_for(started, timeout=30)


async def test_the_enrichment_worker_waits_out_an_outage(db: Database, outage: Outage) -> None:
    service(db).handle_sync(post("slack:C1", "1", ANN, "https://example.com/a"))
    worker = EnrichmentWorker(service(db).config, outage.db, InstantEnricher(), now=lambda: at(60))
    assert await waited_out(outage, worker.run_once) == 1
    assert [(i.enrich_status, i.title) for i in items(db)] == [("done", "A page")]


async def test_the_publish_engine_waits_out_an_outage(
    db: Database, outage: Outage, tmp_path: Path
) -> None:
    text = f"""
[[digest]]
name = "weekly"
sources = ["slack:C1"]
publish_to = ["file:{tmp_path}"]
editors = ["slack:UED"]
"""
    seed(db, 3, text)

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return build_destinations(digest.publish_to, {})

    engine = PublishEngine(service(db, text).config, outage.db, destinations, now=Clock(at(100)))
    report = await waited_out(outage, lambda: engine.publish("weekly", "p1"))
    assert (report.outcome, report.number) == ("published", 1)
    assert (tmp_path / "weekly-001.md").exists()
    assert {i.status for i in items(db)} == {"published"}
