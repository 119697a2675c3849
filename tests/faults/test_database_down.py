"""PostgreSQL goes away mid-stream (a TCP proxy between the app and the server is cut for a
few seconds, then restored; the long form in ``python -m bench.faults`` waits 30 s)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import select

from adapters.slack.translate import ts_key
from bench import workload
from bench.tcpproxy import TcpProxy
from bot.capture.consumer import Capture, EventConsumer
from bot.curate.service import CurationService
from bot.events import ChatEvent
from storage.db import Database, DatabaseUnavailable
from storage.models import ProcessedEvent
from tests.core.fakes import RecordingPublisher

pytestmark = pytest.mark.postgres
OUTAGE_SECONDS = float(os.environ.get("LINKLETTER_FAULT_OUTAGE", "3"))


@pytest.fixture
def proxied(postgres_url: str) -> Iterator[tuple[TcpProxy, Database]]:
    """A migrated, empty database reached through a proxy the test can cut."""
    direct = Database.connect(postgres_url)
    direct.upgrade()
    with direct.engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE processed_event, message, share, item, reaction")
    direct.dispose()
    url = make_url(postgres_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port)
        db = Database.connect(through.render_as_string(hide_password=False))
        yield proxy, db
        db.dispose()


def applied(db: Database) -> int:
    with db.session() as session:
        return int(session.exec(select(func.count()).select_from(ProcessedEvent)).one())


def traffic(count: int) -> list[ChatEvent]:
    return list(workload.neutral(workload.link_shares(count, seed=3)))


async def test_core_recovers_without_restart(proxied: tuple[TcpProxy, Database]) -> None:
    """The same ``CurationService`` works again once the database is back: the event that
    arrived during the outage waits (retried with backoff) and is applied on recovery, and the
    pool replaces the dead connections (pre-ping) without a restart."""
    proxy, db = proxied
    core = CurationService(workload.config(), db)
    before, during, after = traffic(3)
    await core.handle(before)
    proxy.cut()
    waiting = asyncio.create_task(core.handle(during))
    await asyncio.sleep(OUTAGE_SECONDS)
    assert not waiting.done(), "the event should wait for the database, not fail or finish"
    proxy.restore()
    await waiting
    await core.handle(after)
    assert applied(db) == 3


async def test_patience_runs_out_with_an_error(proxied: tuple[TcpProxy, Database]) -> None:
    """Past ``outage_patience`` the error reaches the adapter (which logs it) instead of
    holding every later event forever."""
    proxy, db = proxied
    core = CurationService(workload.config(), db, outage_patience=1.0)
    proxy.cut()
    with pytest.raises(DatabaseUnavailable) as raised:
        await core.handle(traffic(1)[0])
    assert raised.value.waitable, "an outage, not a problem for an operator"


async def test_no_event_is_lost_while_the_database_is_down(
    proxied: tuple[TcpProxy, Database],
) -> None:
    """Events acked to Slack during the outage (submitted to the real event consumer, as the
    Slack listeners do) are all applied once the database is back, without a restart."""
    proxy, db = proxied
    core = CurationService(workload.config(), db)
    consumer = EventConsumer(core, RecordingPublisher(), position_key=ts_key)
    consumer.start()
    events = traffic(30)
    for event in events[:10]:
        consumer.submit(Capture(event))
    await asyncio.sleep(0.5)
    proxy.cut()
    for event in events[10:20]:
        consumer.submit(Capture(event))
    await asyncio.sleep(OUTAGE_SECONDS)
    proxy.restore()
    for event in events[20:]:
        consumer.submit(Capture(event))
    await consumer.stop(drain_timeout=60)
    assert applied(db) == len(events)
