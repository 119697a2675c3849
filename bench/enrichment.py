"""Enrichment throughput through the queue: 1,000 shared links whose pages answer in 200 ms,
claimed, fetched, described and stored by the real ``EnrichmentWorker`` + ``Enricher`` on
SQLite and PostgreSQL; wall time against the ideal ``links × delay / concurrency``.
(``bench.enrich`` measures the ``Enricher`` alone and the extraction per page.)

As in ``bench.enrich``, the page server runs in its own process and the links are spread over
100 host names that resolve to 127.0.0.1, so the per-host limit (2) is not the bottleneck.

    python -m bench.enrichment [--links 1000] [--delay 0.2] [--concurrency 16] [--database sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bench import machine

if TYPE_CHECKING:
    from bot.enrich.worker import EnrichmentWorker
    from storage.db import Database

# The rest is imported inside the functions. The extraction workers, like any process that
# multiprocessing starts, import the parent's main module: in production that is the light
# ``linkletter`` script, here it is this module, whose imports (storage, the worker, the
# enricher: seconds on a shared machine) would otherwise be charged to the pool's start.
HOSTS = 100


async def loopback(_host: str, _port: int) -> list[str]:
    """Every bench host name resolves to the local page server."""
    return ["127.0.0.1"]


def queue_links(db: Database, port: int, count: int) -> None:
    """``count`` new items waiting for enrichment, as ingest leaves them (bulk-inserted: the
    ingest path is measured by ``bench.ingest``)."""
    from sqlalchemy import insert

    from bench import workload
    from storage.models import Item

    now = workload.START
    urls = [f"http://host{n % HOSTS}.bench:{port}/posts/{n}" for n in range(count)]
    rows = [
        {
            "digest": "weekly",
            "canonical_url": url,
            "url": url,
            "status": "draft",
            "enrich_status": "pending",
            "created_at": now,
            "updated_at": now,
        }
        for url in urls
    ]
    with db.engine.begin() as connection:
        connection.execute(insert(Item), rows)


def _pending(db: Database) -> int:
    with db.reading() as uow:  # a reader: on SQLite it queues behind no writer
        return uow.items.pending_enrichment()


async def drain(worker: EnrichmentWorker, db: Database, links: int) -> int:
    """Run the worker's production loop (``run_forever``) until no item is pending; how many
    items it finished."""
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    pending = links
    while pending:  # polling the database: no event to wait on
        await asyncio.sleep(0.05)
        pending = await asyncio.to_thread(_pending, db)
    stop.set()
    await loop
    return links - pending


async def measure(kind: str, links: int, delay: float, concurrency: int) -> list[str]:
    from bench import databases, workload
    from bench.enrich import slow_server
    from bot.enrich.enricher import Enricher
    from bot.enrich.fetch import FetchSettings
    from bot.enrich.worker import EnrichmentWorker

    settings = FetchSettings(
        allow_private_networks=True, global_concurrency=concurrency, max_attempts=1
    )
    with databases.fresh(kind) as db, slow_server(delay) as port:
        await asyncio.to_thread(queue_links, db, port, links)
        enricher = Enricher(settings, resolver=loopback)
        worker = EnrichmentWorker(
            workload.config(), db, enricher, batch=concurrency, lease=timedelta(minutes=30)
        )
        started = time.perf_counter()
        done = await drain(worker, db, links)
        wall = time.perf_counter() - started
        await enricher.aclose()
    ideal = links * delay / concurrency
    latencies = [seconds * 1000 for seconds in worker.latencies]
    return [
        f"enrichment [{kind}]: {done} links, pages answering in {delay * 1000:.0f} ms, "
        f"concurrency {concurrency} (worker batch = global limit; {HOSTS} hosts)",
        f"  wall {wall:.1f} s vs ideal {ideal:.1f} s ({wall / ideal:.2f}x); "
        f"{done / wall:.0f} links/s; failures {worker.failures}",
        f"  per link: p50 {machine.percentile(latencies, 0.5):.0f} ms, "
        f"p99 {machine.percentile(latencies, 0.99):.0f} ms",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", choices=["sqlite", "postgres"], action="append")
    args = parser.parse_args(argv)
    print(machine.describe())
    from bench import databases

    for kind in args.database or databases.kinds():
        lines = asyncio.run(measure(kind, args.links, args.delay, args.concurrency))
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
