"""The archive queue (storage.archive) and its worker, with the real client against the local
Save Page Now, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import pytest

from bot.cli.items import item_record
from bot.enrich.archive import ArchiveClient, ArchiveSettings
from bot.enrich.archive_worker import ArchiveWorker
from storage.db import Database
from storage.models import Item
from storage.unit import UnitOfWork
from tests.core.helpers import at, config, items
from tests.enrich import fake_wayback as wb
from tests.enrich.test_archive_client import public

ARCHIVE = "\n[archive]\nenabled = true\nconcurrency = 2\nmax_attempts = 2\npoll_seconds = 60\n"
DIGEST = '[[digest]]\nname = "weekly"\nsources = ["slack:C1"]\n'


class Clock:
    def __init__(self) -> None:
        self.now = at(0)

    def __call__(self) -> datetime:
        return self.now


Workers = Callable[..., ArchiveWorker]


@pytest.fixture
async def archive() -> AsyncIterator[wb.FakeWayback]:
    async with wb.fake_wayback() as fake:
        yield fake


@pytest.fixture
async def worker(archive: wb.FakeWayback) -> AsyncIterator[Workers]:
    clients: list[ArchiveClient] = []

    def make(db: Database, clock: Clock, owner: str = "a") -> ArchiveWorker:
        clients.append(ArchiveClient(ArchiveSettings(archive.save_url, timeout=5), public))
        return ArchiveWorker(config(DIGEST + ARCHIVE), db, clients[-1], clock, owner)

    yield make
    for client in clients:
        await client.aclose()


def add(db: Database, path: str, status: str = "approved", enriched: str = "done") -> str:
    url = f"https://example.com/{path}"
    row = Item(
        digest="weekly", canonical_url=url, url=url + "?utm_source=x", final_url=url,
        status=status, enrich_status=enriched, first_shared_at=at(0),
    )  # fmt: skip
    db.write_now(lambda uow: uow.items.add(row))
    return url


def claim(uow: UnitOfWork, owner: str, now: datetime, until: datetime) -> list[object]:
    return list(uow.archive.claim(owner, now, until, limit=5, max_attempts=2))


def by_url(db: Database) -> dict[str, Item]:
    return {item.canonical_url: item for item in items(db)}


async def test_approved_read_items_get_a_copy_and_nothing_else_is_sent(
    db: Database, archive: wb.FakeWayback, worker: Workers
) -> None:
    wanted = [add(db, "approved"), add(db, "published", status="published")]
    add(db, "draft", status="draft")
    add(db, "rejected", status="rejected")
    add(db, "unread", enriched="pending")
    archive.answers += [wb.CONTENT_LOCATION, wb.REDIRECT]
    clock = Clock()
    running = worker(db, clock)
    assert await running.run_once() == 2
    assert await running.run_once() == 0
    assert sorted(archive.saved) == sorted(wanted)  # the final URL, not the shared one
    rows = by_url(db)
    for url in wanted:
        assert (rows[url].archive_status, rows[url].archived_url) == ("done", archive.copy(url))
        assert rows[url].archive_error is None
    assert {rows[u].archive_status for u in rows if u not in wanted} == {None}


async def test_a_server_error_is_retried_after_the_back_off(
    db: Database, archive: wb.FakeWayback, worker: Workers
) -> None:
    url = add(db, "flaky")
    archive.answers += [wb.UNAVAILABLE, wb.CONTENT_LOCATION]
    clock = Clock()
    await worker(db, clock).run_once()
    item = by_url(db)[url]
    assert (item.archive_status, item.archive_attempts) == ("pending", 1)
    assert item.archive_error == "will retry: the archive answered HTTP 503"
    assert await worker(db, clock).run_once() == 0  # not due for 60 s
    clock.now += timedelta(seconds=61)
    assert await worker(db, clock).run_once() == 1
    assert by_url(db)[url].archived_url == archive.copy(url)


async def test_too_many_requests_waits_as_long_as_asked(
    db: Database, archive: wb.FakeWayback, worker: Workers
) -> None:
    add(db, "busy")
    archive.answers.append(wb.TOO_MANY)
    clock = Clock()
    await worker(db, clock).run_once()
    clock.now += timedelta(seconds=299)
    assert await worker(db, clock).run_once() == 0
    clock.now += timedelta(seconds=2)
    archive.answers.append(wb.CONTENT_LOCATION)
    assert await worker(db, clock).run_once() == 1


async def test_forbidden_fails_at_once_and_out_of_attempts_fails_with_the_reason(
    db: Database, archive: wb.FakeWayback, worker: Workers
) -> None:
    excluded, flaky = add(db, "excluded"), add(db, "flaky")
    archive.answers += [wb.EXCLUDED, wb.UNAVAILABLE]
    clock = Clock()
    await worker(db, clock).run_once()
    clock.now += timedelta(hours=1)
    archive.answers.append(wb.ORIGIN_ERROR)
    assert await worker(db, clock).run_once() == 1  # only the flaky one comes back
    rows = by_url(db)
    assert rows[excluded].archive_status == "failed"
    assert "HTTP 403" in (rows[excluded].archive_error or "")
    assert (rows[flaky].archive_status, rows[flaky].archive_error) == (
        "failed",
        "gave up after 2 attempts: the archive answered HTTP 520",
    )
    clock.now += timedelta(days=1)
    assert await worker(db, clock).run_once() == 0


async def test_a_leased_item_is_not_claimed_twice_and_a_dead_last_attempt_fails(
    db: Database, archive: wb.FakeWayback, worker: Workers
) -> None:
    url = add(db, "slow")
    clock = Clock()
    for owner in ("p1", "p2"):  # two processes claim it in turn, and die
        until = clock.now + timedelta(minutes=3)
        assert db.write_now(functools.partial(claim, owner=owner, now=clock.now, until=until))
        assert await worker(db, clock, owner="other").run_once() == 0  # leased
        clock.now += timedelta(minutes=4)
    assert await worker(db, clock).run_once() == 0
    item = by_url(db)[url]
    assert item.archive_status == "failed"
    assert "never finished" in (item.archive_error or "")
    assert archive.saved == []


async def test_items_list_shows_the_copy_and_the_queues_state(
    db: Database, archive: wb.FakeWayback, worker: Workers
) -> None:
    done, failed = add(db, "kept"), add(db, "excluded")
    archive.answers += [wb.CONTENT_LOCATION, wb.EXCLUDED]
    await worker(db, Clock()).run_once()
    weights = config(DIGEST).digest().score
    with db.reading() as uow:
        records = {
            row["canonical_url"]: item_record(row, shares, weights)
            for row, shares in uow.items.item_listing("weekly")
        }
    assert records[done]["archived_url"] == archive.copy(done)
    assert records[done]["archive"] == {"status": "done", "error": None, "attempts": 1}
    assert records[failed]["archived_url"] is None
    assert records[failed]["archive"]["status"] == "failed"
    assert "HTTP 403" in records[failed]["archive"]["error"]
