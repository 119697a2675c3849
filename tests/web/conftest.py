"""Fixtures for the web tests: a local site of real pages, an archive of issues built through
the real curation, enrichment and publish code, and the real server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.config import Config, DigestConfig, parse_config
from bot.curate.service import CurationService
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.enrich.enricher import Enricher
from bot.enrich.fetch import FetchSettings
from bot.enrich.worker import EnrichmentWorker
from bot.events import Author
from bot.web import WebServer, create_app
from storage.db import Database
from tests.core.helpers import ANN, BOB, EDITOR, at, post, react
from tests.enrich.servers import READABILITY

HOSTILE = Path(__file__).parents[1] / "fixtures" / "web" / "hostile.html"
EVIL = Author("slack:UEVIL", "<script>alert(3)</script>")
LOCAL = FetchSettings(allow_private_networks=True, timeout=5, max_attempts=1, backoff_base=0.01)
NOW = at(14 * 24 * 60)  # two weeks after the first share: the stats page's "now"
TOKEN = "s3cret-t0ken"


@dataclass
class PageSite:
    port: int

    def url(self, page: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/pages/{page}"


async def _page(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    path = HOSTILE if name == "hostile" else READABILITY / name / "source.html"
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.Response(body=path.read_bytes(), content_type="text/html", charset="utf-8")


@pytest.fixture
async def page_site() -> AsyncIterator[PageSite]:
    """Real pages (Readability's test pages and one hostile page) on a local server."""
    app = web.Application()
    app.router.add_get("/pages/{name}", _page)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield PageSite(runner.addresses[0][1])
    await runner.cleanup()


def archive_config(publish_dir: Path, web_settings: str = "", weekly_settings: str = "") -> Config:
    return parse_config(
        f"""
[web]
{web_settings}

[[digest]]
name = "weekly"
{weekly_settings}
sources = ["slack:C1"]
editors = ["slack:UED"]
publish_to = ["file:{publish_dir}"]

[[digest]]
name = "quiet"
sources = ["slack:C9"]
show_sharer = false
"""
    )


@dataclass(frozen=True)
class Share:
    minute: float
    author: Author
    page: str
    host: str = "127.0.0.1"
    verdict: str | None = "white_check_mark"  # the editor's reaction; None leaves a draft
    why: str | None = None


DAY = 24 * 60
# Two weeks of sharing; an issue is published at the end of each (3 and 10 days in).
WEEK_ONE = [
    Share(0, ANN, "mozilla-1"),
    Share(5, BOB, "bbc-1", host="localhost"),
    Share(10, EVIL, "hostile"),
    Share(15, ANN, "ars-1", verdict="x"),
]
WEEK_TWO = [
    Share(7 * DAY, BOB, "lemonde-1", host="localhost", why="Le Monde reads it the other way"),
    Share(7 * DAY + 5, ANN, "nytimes-1", verdict=None),
]


@dataclass
class Clock:
    value: datetime = field(default_factory=lambda: at(0))

    def __call__(self) -> datetime:
        return self.value


async def seed_archive(db: Database, config: Config, pages: PageSite) -> None:
    """Issues 1 and 2 of ``weekly``, through the real service, enricher and publish engine."""
    core = CurationService(config, db)
    clock = Clock()
    enricher = Enricher(LOCAL)
    worker = EnrichmentWorker(config, db, enricher, now=clock)

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return build_destinations(digest.publish_to, {})

    engine = PublishEngine(config, db, destinations, now=clock)
    for number, (shares, publish_day) in enumerate(((WEEK_ONE, 3), (WEEK_TWO, 10)), start=1):
        for n, share in enumerate(shares):
            message = f"{number}-{n}"
            text = f"{pages.url(share.page, share.host)} worth reading"
            if share.why:
                text += f"\nWhy this matters: {share.why}"
            await core.handle(post("slack:C1", message, share.author, text, share.minute))
            if share.verdict:
                event = react("slack:C1", message, EDITOR, share.verdict, share.minute + 1)
                await core.handle(event)
        clock.value = at(publish_day * DAY - 60)
        while await worker.run_once():
            pass
        clock.value = at(publish_day * DAY)
        report = await engine.publish("weekly", f"2026-11-{16 + publish_day}T09:00")
        assert (report.outcome, report.number) == ("published", number), report.describe()
    await enricher.aclose()  # its extraction processes end with the seeding


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The real uvicorn server on an ephemeral port, and a client aimed at it."""
    server = WebServer(app, "127.0.0.1", 0, log_level="warning")
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            yield client
    finally:
        await server.stop()


@dataclass
class Probe:
    """The readiness facts ``linkletter run`` reports (a plain implementation of the protocol)."""

    adapters: dict[str, bool] = field(default_factory=lambda: {"slack": True})
    scheduler: bool = True

    def adapters_connected(self) -> dict[str, bool]:
        return dict(self.adapters)

    def scheduler_running(self) -> bool:
        return self.scheduler


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A SQLite file the browser tests' server and the CLI can both open."""
    database = Database.connect(f"sqlite:///{tmp_path / 'browser.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
async def seeded(db: Database, page_site: PageSite, tmp_path: Path) -> Config:
    config = archive_config(tmp_path / "published")
    await seed_archive(db, config, page_site)
    return config


def make_app(
    config: Config,
    db: Database,
    *,
    status: Probe | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    token: str | None = None,
) -> Starlette:
    """The app as ``linkletter run`` builds it, with the stats page's clock fixed at ``NOW``."""
    return create_app(
        config, db, status=status, extra_routes=extra_routes, token=token, now=lambda: NOW
    )
