"""``linkletter demo``: a week of a team's links, end to end, offline, in one folder."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.console.articles import ARTICLES
from adapters.console.pages import serve_articles
from adapters.console.week import events, last_full_week
from bot.app.wiring import destinations_for
from bot.config import Config, parse_config
from bot.curate.service import CurationService
from bot.deliver.engine import PublishEngine
from bot.digest.model import CompiledIssue
from bot.digest.render import render_markdown
from bot.enrich.enricher import Enricher
from bot.enrich.fetch import FetchSettings
from bot.enrich.worker import EnrichmentWorker
from bot.platforms import every
from storage.db import Database

DIGEST = "team-weekly"
CONFIG = """\
# The demo's configuration: the same format as a real linkletter.toml (docs/configuration.md).
[fetch]
allow_private_networks = true  # the demo's sample pages are served from 127.0.0.1

[[digest]]
name = "team-weekly"
title = "Acme Data Weekly — Issue {{number}}"
sources = [
  "slack:C0DEMOML", "slack:C0DEMODATA", "discord:1100000000000000001",
  "matrix:!demolinks:demo.test",
]
editors = ["slack:U0EDITOR", "discord:role:3100000000000000001"]
publish_to = ["file:{issue_dir}"]
schedule = "mon 09:00"
timezone = "Europe/London"
intro = "Five links the team could not stop talking about this week."
default_section = "Elsewhere"

[[digest.sections]]
name = "Machine Learning"
hashtags = ["ml"]
channels = ["slack:C0DEMOML"]
keywords = ["model", "distillation"]

[[digest.sections]]
name = "Data Engineering"
hashtags = ["data"]
channels = ["slack:C0DEMODATA"]
keywords = ["pipeline", "sql", "feature store"]
"""


@dataclass(frozen=True)
class DemoResult:
    issue: CompiledIssue
    files: dict[str, Path]
    events: int
    items: int


def run_demo(out: Path, now: datetime | None = None) -> DemoResult:
    """Prepare a fresh folder, then play last week (the one that ended by ``now``), enrich and
    publish it (the async part); the files written link to copies of the pages beside them."""
    out.mkdir(parents=True, exist_ok=True)
    database_file = out / "linkletter.db"
    for stale in out.glob("linkletter.db*"):
        stale.unlink()
    config_file = out / "linkletter.toml"
    config_file.write_text(CONFIG.format(issue_dir=(out / "issue").as_posix()), encoding="utf-8")
    config = parse_config(config_file.read_text(encoding="utf-8"), str(config_file))
    db = Database.connect(f"sqlite:///{database_file}")
    db.upgrade()
    try:
        monday = last_full_week(now or datetime.now(UTC))
        played, issue, base = asyncio.run(_play_enrich_publish(config, db, monday))
    finally:
        db.dispose()
    files = _write_renderings(out, issue)
    _keep_pages_beside(out / "issue", base, files)
    files["database"], files["config"] = database_file, config_file
    return DemoResult(issue, files, played, len(issue.items))


async def _play_enrich_publish(
    config: Config, db: Database, monday: datetime
) -> tuple[int, CompiledIssue, str]:
    async with serve_articles() as base:
        played = await _play_week(config, db, base, monday)
        await _enrich_all(config, db)
    slot = monday + timedelta(days=7)  # the Monday 09:00 that closes the week: publish time
    engine = PublishEngine(config, db, destinations_for(config, {}), now=lambda: slot)
    report = await engine.publish(DIGEST, f"demo-{monday:%G-W%V}")
    if report.issue is None:
        raise RuntimeError(f"the demo issue was not published: {report.describe()}")
    return played, report.issue, base


async def _play_week(config: Config, db: Database, base: str, monday: datetime) -> int:
    core = CurationService(config, db)
    played = 0
    for event in events(base, monday):
        await core.handle(event)
        played += 1
    return played


async def _enrich_all(config: Config, db: Database) -> None:
    settings = FetchSettings(allow_private_networks=True, timeout=10, max_attempts=1)
    enricher = Enricher(settings)
    worker = EnrichmentWorker(config, db, enricher)
    try:
        while await worker.run_once():
            pass
    finally:
        await enricher.aclose()


def _write_renderings(out: Path, issue: CompiledIssue) -> dict[str, Path]:
    stem = f"{issue.digest}-{issue.number:03d}"
    files = {"markdown": out / "issue" / f"{stem}.md", "html": out / "issue" / f"{stem}.html"}
    for chat in every():  # each platform's native payloads, as its publisher would post them
        files[chat.name] = out / f"{stem}.{chat.name}.json"
        files[chat.name].write_text(json.dumps(chat.render(issue), indent=2, ensure_ascii=False))
    if not files["markdown"].exists():  # the file destination wrote it; keep the demo honest
        files["markdown"].write_text(render_markdown(issue))
    return files


def _keep_pages_beside(folder: Path, base: str, files: dict[str, Path]) -> None:
    """Copy the sample pages and their pictures into ``folder`` and point every rendering at
    the copies (relative links in Markdown and HTML, ``file:`` URIs in the chat JSON), so the
    demo's output still works after its little web server has stopped."""
    (folder / "pages").mkdir(exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    for article in ARTICLES:
        (folder / "pages" / f"{article.slug}.html").write_text(article.html(".."), "utf-8")
        (folder / "images" / f"{article.slug}.png").write_bytes(article.image())
    # A URL ends at a space, a quote, a bracket or a backslash (JSON's ``\"`` after an HTML href).
    served = re.compile(re.escape(base) + r"/(articles|images)/([\w-]+)(?:\.png)?[^\s\"'<>)\\]*")

    def local(prefix: str) -> Callable[[re.Match[str]], str]:
        def swap(found: re.Match[str]) -> str:
            kind, slug = found.groups()
            return (
                f"{prefix}pages/{slug}.html" if kind == "articles" else f"{prefix}images/{slug}.png"
            )

        return swap

    for path in files.values():
        prefix = "" if path.parent == folder else f"{folder.resolve().as_uri()}/"
        path.write_text(served.sub(local(prefix), path.read_text("utf-8")), "utf-8")
