"""The database-backed enrichment queue, with the real Enricher against a local server
(shared Readability pages), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
from collections.abc import AsyncIterator, Callable
from urllib.parse import quote

import pytest
from sqlalchemy import event

from bot.enrich.enricher import Enricher
from bot.enrich.fetch import FetchSettings
from bot.enrich.model import PageMetadata
from bot.enrich.worker import EnrichmentWorker
from storage.db import Database
from storage.repo import Repo
from tests.core.helpers import ANN, BOB, at, items, post, service
from tests.enrich.hostile import shared_stream_pdf
from tests.enrich.servers import READABILITY, LocalServer

LOCAL = FetchSettings(allow_private_networks=True, timeout=5, max_attempts=1, backoff_base=0.01)


Workers = Callable[..., EnrichmentWorker]


@pytest.fixture
async def worker() -> AsyncIterator[Workers]:
    """Makes workers with real Enrichers, all closed (their extraction processes ended) after."""
    made: list[Enricher] = []

    def make(db: Database, settings: FetchSettings = LOCAL) -> EnrichmentWorker:
        made.append(Enricher(settings))
        return EnrichmentWorker(service(db).config, db, made[-1], now=lambda: at(60))

    yield make
    for enricher in made:
        await enricher.aclose()


async def test_shared_page_gets_its_metadata(
    db: Database, server: LocalServer, worker: Workers
) -> None:
    expected = json.loads((READABILITY / "mozilla-1" / "expected-metadata.json").read_text())
    service(db).handle_sync(post("slack:C1", "1", ANN, server.url("/pages/mozilla-1")))
    enriching = worker(db)
    assert await enriching.run_once() == 1
    assert (enriching.enriched, len(enriching.latencies)) == (1, 1)
    item = items(db)[0]
    assert (item.enrich_status, item.title) == ("done", expected["title"])
    assert item.word_count
    assert item.word_count > 100
    assert await worker(db).run_once() == 0  # nothing left to claim


async def test_failure_reason_is_kept(db: Database, server: LocalServer, worker: Workers) -> None:
    service(db).handle_sync(post("slack:C1", "1", ANN, server.url("/status/404")))
    await worker(db).run_once()
    item = items(db)[0]
    assert item.enrich_status == "failed"
    assert "404" in (item.enrich_error or "")


async def test_transient_failure_is_retried_later(
    db: Database, server: LocalServer, worker: Workers
) -> None:
    service(db).handle_sync(post("slack:C1", "1", ANN, server.url("/flaky?status=503&x=1")))
    await worker(db).run_once()
    item = items(db)[0]
    assert (item.enrich_status, item.enrich_attempts) == ("pending", 1)
    assert item.enrich_next_at is not None
    assert item.enrich_next_at > at(60)
    assert await worker(db).run_once() == 0  # not due yet


async def test_private_address_refused_without_the_switch(
    db: Database, server: LocalServer, worker: Workers
) -> None:
    service(db).handle_sync(post("slack:C1", "1", ANN, server.url("/pages/mozilla-1")))
    await worker(db, FetchSettings()).run_once()
    item = items(db)[0]
    assert item.enrich_status == "failed"
    assert (item.enrich_error or "").startswith("refused")
    assert server.log.hits == {}


async def test_short_link_merges_into_the_article(
    db: Database, server: LocalServer, worker: Workers
) -> None:
    article = server.url("/pages/mozilla-1")
    short = server.url(f"/redirect-to?target={quote(article, safe='')}")
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, article))
    core.handle_sync(post("discord:100", "2", BOB, short, 1))
    await worker(db).run_once()
    live = items(db)
    assert len([i for i in live if i.merged_into is None]) == 1
    assert live[0].votes == 0
    with db.session() as session:
        shares = Repo(session).shares_of_item(live[0].id or 0)
    assert {s.channel for s in shares} == {"slack:C1", "discord:100"}


async def test_lease_keeps_two_workers_apart(
    db: Database, server: LocalServer, worker: Workers
) -> None:
    service(db).handle_sync(post("slack:C1", "1", ANN, server.url("/delay?seconds=0.2")))
    first, second = worker(db), worker(db)
    counts = await asyncio.gather(first.run_once(), second.run_once())
    assert sorted(counts) == [0, 1]
    assert len(server.log.hits["/delay"]) == 1


class GatedPages:
    """Pages that answer at once, except the ``slow`` one, which waits for ``release``."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def enrich(self, url: str) -> PageMetadata:
        if "slow" in url:
            await self.release.wait()
        return PageMetadata(final_url=url, title=url.rsplit("/", 1)[-1])


async def test_a_slow_page_does_not_hold_up_the_slots_of_the_others(db: Database) -> None:
    core = service(db)
    for n, path in enumerate(["slow", "a", "b", "c", "d"]):
        core.handle_sync(post("slack:C1", str(n), ANN, f"https://example.com/{path}"))
    pages, stop = GatedPages(), asyncio.Event()
    rolling = EnrichmentWorker(core.config, db, pages, batch=2, now=lambda: at(60))
    loop = asyncio.create_task(rolling.run_forever(stop, idle_seconds=0.05))

    def titles() -> set[str | None]:
        return {item.title for item in items(db) if item.enrich_status == "done"}

    for _ in range(200):  # one slot stays on the slow page; the other works through the rest
        if titles() == {"a", "b", "c", "d"}:
            break
        await asyncio.sleep(0.02)
    assert titles() == {"a", "b", "c", "d"}
    pages.release.set()
    stop.set()
    await asyncio.wait_for(loop, 5)  # the page in flight is finished, not abandoned
    assert titles() == {"slow", "a", "b", "c", "d"}


async def test_page_text_is_cleaned_before_it_is_stored(
    db: Database, server: LocalServer, worker: Workers
) -> None:
    """A forbidden or bidi character in a page's title, summary, site name or author would
    break the feeds and the e-mail, and reorder the text around it: it never reaches the item."""
    dirty = "Re\u202eport\x01\ufffe"
    page = (
        f"<html><head><title>{dirty}</title>"
        f'<meta property="og:site_name" content="Site{dirty}">'
        f'<meta name="author" content="Ann{dirty}">'
        f'<meta name="description" content="About{dirty}"></head>'
        f"<body><p>{'Words in a paragraph. ' * 40}</p></body></html>"
    )
    service(db).handle_sync(post("slack:C1", "1", ANN, server.url(f"/html?body={quote(page)}")))
    assert await worker(db).run_once() == 1
    item = items(db)[0]
    assert (item.title, item.site_name, item.author, item.summary) == (
        "Report",
        "SiteReport",
        "AnnReport",
        "AboutReport",
    )


class InstantPages:
    """Pages that answer at once; ``/huge`` reports a word count no database column holds."""

    async def enrich(self, url: str) -> PageMetadata:
        words = 2**70 if url.endswith("/huge") else 5
        return PageMetadata(final_url=url, title=url.rsplit("/", 1)[-1], word_count=words)


def count_transactions(db: Database) -> list[int]:
    begun: list[int] = []
    event.listen(db.engine, "begin", lambda _connection: begun.append(1))
    return begun


async def test_pages_finished_together_are_stored_in_one_transaction(db: Database) -> None:
    core = service(db)
    for n in range(8):
        core.handle_sync(post("slack:C1", str(n), ANN, f"https://example.com/{n}"))
    begun = count_transactions(db)
    batch = EnrichmentWorker(core.config, db, InstantPages(), batch=8, now=lambda: at(60))
    assert await batch.run_once() == 8
    assert len(begun) == 2  # the claim, then the eight pages (it was one transaction a page)
    assert {i.title for i in items(db) if i.enrich_status == "done"} == {str(n) for n in range(8)}


async def test_a_page_that_cannot_be_stored_loses_only_itself(db: Database) -> None:
    core = service(db)
    for n, path in enumerate(["a", "huge", "b"]):
        core.handle_sync(post("slack:C1", str(n), ANN, f"https://example.com/{path}"))
    batch = EnrichmentWorker(core.config, db, InstantPages(), batch=3, now=lambda: at(60))
    assert await batch.run_once() == 3
    assert batch.enriched == 2
    state = {i.title or i.url.rsplit("/", 1)[-1]: i.enrich_status for i in items(db)}
    assert state == {"a": "done", "b": "done", "huge": "pending"}  # its lease lets it retry


async def test_page_over_budget_fails_with_its_reason_after_one_attempt(
    db: Database, server: LocalServer, worker: Workers
) -> None:
    """The issue's PDF (pages sharing one content stream) stops at the budget, for good."""
    shared_stream_pdf()  # built before the clock starts
    service(db).handle_sync(post("slack:C1", "1", ANN, server.url("/hostile/shared-stream.pdf")))
    started = asyncio.get_running_loop().time()
    await worker(db, dataclasses.replace(LOCAL, budget=2.0)).run_once()
    assert asyncio.get_running_loop().time() - started < 10  # the first page starts the pool
    item = items(db)[0]
    assert (item.enrich_status, item.enrich_attempts) == ("failed", 1)
    assert "over budget" in (item.enrich_error or "")


async def _until_attempts(db: Database, attempts: int, seconds: float = 30.0) -> None:
    """Wait for the claim to count its attempt: a fixed short wait failed on a loaded machine."""
    deadline = asyncio.get_running_loop().time() + seconds
    while items(db)[0].enrich_attempts != attempts:
        assert asyncio.get_running_loop().time() < deadline, f"attempt {attempts} never claimed"
        await asyncio.sleep(0.02)


class HangingPages:
    """A page whose enrichment never ends (as if the process died in it each time)."""

    async def enrich(self, url: str) -> PageMetadata:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_page_whose_attempts_never_finish_is_not_claimed_forever(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://example.com/never"))
    max_attempts = core.config.fetch.max_attempts
    for attempt in range(max_attempts):  # each lease runs out: 10 minutes between the tries
        dying = EnrichmentWorker(
            core.config, db, HangingPages(), now=functools.partial(at, 10 * attempt)
        )
        claiming = asyncio.create_task(dying.run_once())
        await _until_attempts(db, attempt + 1)  # claimed; then the process "dies" in the page
        claiming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await claiming
    last = EnrichmentWorker(core.config, db, HangingPages(), now=lambda: at(10 * max_attempts))
    assert await last.run_once() == 0
    item = items(db)[0]
    assert (item.enrich_status, item.enrich_attempts) == ("failed", max_attempts + 1)
    assert "never finished" in (item.enrich_error or "")


async def test_a_short_link_to_a_published_article_lands_on_it_and_shows_in_the_queue(
    db: Database, server: LocalServer, worker: Workers
) -> None:
    """Issue 21: the same final URL as an article an earlier issue carried is recognised."""
    from bot.curate.commands import queue_entries
    from bot.deliver.destinations import build_destinations
    from bot.deliver.engine import PublishEngine
    from bot.ports import ChatPublisher
    from tests.core.fakes import RecordingPublisher
    from tests.core.helpers import CONFIG, EDITOR, react

    article = server.url("/pages/mozilla-1")
    short = server.url(f"/redirect-to?target={quote(article, safe='')}")
    config = CONFIG.replace('default_section = "Elsewhere"', 'publish_to = ["slack:CPUB"]')
    core = service(db, config)
    core.handle_sync(post("slack:C1", "1", ANN, article))
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 1))
    publisher: dict[str, ChatPublisher] = {"slack": RecordingPublisher()}
    engine = PublishEngine(
        core.config, db, lambda d: build_destinations(d.publish_to, publisher), now=lambda: at(30)
    )
    assert (await engine.publish("weekly", "p1")).outcome == "published"
    core.handle_sync(post("discord:100", "2", BOB, short, 40))
    await worker(db).run_once()
    [target] = [i for i in items(db) if i.merged_into is None]
    assert target.status == "published"
    with db.session() as session:
        [entry] = queue_entries(Repo(session), core.config.digest("weekly"))
    assert (entry.item_id, entry.published_in) == (target.id, "issue #1 (2026-11-16)")
