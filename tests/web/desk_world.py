"""A digest's week for the desk tests: shares, editor reactions, a why reply, votes and one
page that cannot be fetched, through the real core and enrichment worker; and sign-in helpers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from starlette.applications import Starlette

from bot.config import Config, parse_config
from bot.curate.service import CurationService
from bot.curate.signin import Editor, SignIn
from bot.deliver.destinations import build_destinations
from bot.deliver.engine import PublishEngine
from bot.deliver.ops import EngineOps
from bot.enrich.enricher import Enricher
from bot.enrich.worker import EnrichmentWorker
from bot.web import create_app
from storage.db import Database
from tests.core.helpers import ANN, BOB, EDITOR, READER, at, post, react
from tests.web.conftest import LOCAL, Clock, PageSite

DESK_CONFIG = """
[web]
{web}

[[digest]]
name = "weekly"
sources = ["slack:C1"]
editors = ["slack:UED"]
publish_to = ["file:{out}"]
default_section = "Links"

[[digest.sections]]
name = "News"
hashtags = ["news"]

[[digest]]
name = "other"
sources = ["slack:C9"]
editors = ["slack:UOTHER"]
"""
# (message id, author, page, extra text, the editor's reaction)
SHARES = [
    ("m1", ANN, "mozilla-1", "why: Firefox's readability engine, explained", "white_check_mark"),
    ("m2", BOB, "bbc-1", "#news", "star"),
    ("m3", ANN, "ars-1", "", "white_check_mark"),
    ("m4", BOB, "lemonde-1", "", None),
    ("m5", ANN, "missing-page", "", None),
]


@dataclass
class World:
    config: Config
    db: Database
    core: CurationService
    clock: Clock
    out: Path
    engine: PublishEngine

    def app(self) -> Starlette:
        return create_app(self.config, self.db, now=self.clock, core=self.core)

    def signin(self) -> SignIn:
        return SignIn(self.config, self.db, self.clock)

    def link(self, user: str = EDITOR.id) -> str:
        return self.signin().mint_link(Editor(user))


def desk_config(out: Path, web: str = "") -> Config:
    return parse_config(DESK_CONFIG.format(out=out, web=web))


async def build_world(db: Database, pages: PageSite, tmp_path: Path, web: str = "") -> World:
    out = tmp_path / "published"
    config = desk_config(out, web)
    clock = Clock(at(60))
    core = CurationService(config, db)
    engine = PublishEngine(
        config, db, lambda digest: build_destinations(digest.publish_to, {}), now=clock
    )
    core.commands.ops = EngineOps(engine, now=clock)
    for minute, (mid, author, page, extra, verdict) in enumerate(SHARES):
        await core.handle(post("slack:C1", mid, author, f"{pages.url(page)} {extra}", minute))
        if verdict:
            await core.handle(react("slack:C1", mid, EDITOR, verdict, minute + 0.5))
    await core.handle(post("slack:C1", "r4", ANN, "why this matters: Le Monde's view", 10, "m4"))
    await core.name_resolved(ANN.id, ANN.name or "Ann")  # as an adapter learns it
    await core.handle(react("slack:C1", "m4", READER, "thumbsup", 11))
    await core.handle(react("slack:C1", "m4", ANN, "thumbsup", 12))
    enricher = Enricher(LOCAL)
    worker = EnrichmentWorker(config, db, enricher, now=clock)
    while await worker.run_once():
        pass
    await enricher.aclose()
    return World(config, db, core, clock, out, engine)


async def sign_in(client: httpx.AsyncClient, link: str) -> httpx.Response:
    """What the browser does: open the link, press Sign in (the form posts the token)."""
    token = httpx.URL(link).params["token"]
    opened = await client.get(f"/desk/signin?token={token}")
    assert opened.status_code == 200
    return await client.post("/desk/signin", data={"token": token})
