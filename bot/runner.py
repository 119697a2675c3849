"""``linkletter run``: one process with the chat adapters, the enrichment worker, the scheduler
and the web server, stopped cleanly by SIGTERM/SIGINT (work in flight finishes or is left
leased in the database for the next start; nothing is lost)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from bot.app import destinations_for
from bot.assist.service import AssistService
from bot.config import Config, allow_private_networks
from bot.enrich.enricher import Enricher
from bot.enrich.fetch import FetchSettings
from bot.enrich.worker import EnrichmentWorker
from bot.notify import EditorNotifier
from bot.ports import ChatPublisher
from bot.publish.engine import PublishEngine
from bot.publish.ops import EngineOps
from bot.scheduler import DigestScheduler
from bot.service import CurationService
from storage.db import Database

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Something an operator must fix before the bot can run (a missing token, …)."""


def fetch_settings(config: Config) -> FetchSettings:
    fetch = config.fetch
    return FetchSettings(
        allow_private_networks=allow_private_networks(config),
        max_bytes=fetch.max_bytes,
        timeout=fetch.timeout_seconds,
        user_agent=fetch.user_agent,
        global_concurrency=fetch.concurrency,
        per_host_concurrency=fetch.per_host_concurrency,
        max_attempts=1,  # the queue retries with backoff across runs (EnrichmentWorker)
    )


@dataclass
class Adapters:
    """The chat platforms configured in the environment."""

    publishers: dict[str, ChatPublisher] = field(default_factory=dict)
    routes: list[Any] = field(default_factory=list)
    starters: list[Any] = field(default_factory=list)
    stoppers: list[Any] = field(default_factory=list)
    connected: dict[str, Any] = field(default_factory=dict)


def _sources(config: Config, platform: str) -> list[str]:
    return sorted({c for d in config.digests for c in d.sources if c.startswith(f"{platform}:")})


def build_adapters(config: Config, core: CurationService) -> Adapters:
    adapters = Adapters()
    if os.environ.get("SLACK_BOT_TOKEN"):
        from adapters.slack.app import SlackAdapter
        from adapters.slack.settings import SlackSettings

        try:
            settings = SlackSettings.from_env(
                backfill_interval=config.slack.backfill_interval_seconds
            )
        except ValueError as exc:
            raise StartupError(f"Slack: {exc}") from exc
        slack = SlackAdapter(core, settings, channels=_sources(config, "slack"))
        adapters.publishers["slack"] = slack.publisher
        adapters.routes += slack.routes()
        adapters.starters.append(slack.start)
        adapters.stoppers.append(slack.stop)
        adapters.connected["slack"] = slack.is_connected
    if os.environ.get("DISCORD_TOKEN"):
        from adapters.discord.bot import DiscordSettings, LinkletterDiscord
        from adapters.discord.bot import run as run_discord

        discord_settings = DiscordSettings.from_env()
        client = LinkletterDiscord(core, discord_settings)
        adapters.publishers["discord"] = client.publisher
        adapters.starters.append(lambda: _background(run_discord(client, discord_settings.token)))
        adapters.stoppers.append(client.close)
        adapters.connected["discord"] = client.is_ready
    if not adapters.publishers and any(
        c.startswith(("slack:", "discord:")) for d in config.digests for c in d.sources
    ):
        log.warning("no SLACK_BOT_TOKEN or DISCORD_TOKEN set: nothing is being listened to")
    return adapters


_BACKGROUND: set[asyncio.Task[Any]] = set()


async def _background(work: Any) -> None:
    task = asyncio.ensure_future(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


class Probe:
    """Readiness for ``/readyz``."""

    def __init__(self, adapters: Adapters, scheduler: DigestScheduler) -> None:
        self.adapters = adapters
        self.scheduler = scheduler

    def adapters_connected(self) -> dict[str, bool]:
        return {name: bool(check()) for name, check in self.adapters.connected.items()}

    def scheduler_running(self) -> bool:
        return self.scheduler.running


async def serve(config: Config, db: Database, host: str, port: int) -> None:
    core = CurationService(config, db)
    adapters = build_adapters(config, core)

    engine = PublishEngine(config, db, destinations_for(config, adapters.publishers))
    core.commands.ops = EngineOps(engine)
    scheduler = DigestScheduler(config, engine, EditorNotifier(adapters.publishers))
    enricher = Enricher(fetch_settings(config))
    worker = EnrichmentWorker(config, db, enricher)
    core.listeners.append(lambda _event, outcome: worker.wake() if outcome.item_ids else None)

    from bot.web.app import create_app

    app = create_app(config, db, status=Probe(adapters, scheduler), extra_routes=adapters.routes)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="off")
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    web = asyncio.create_task(server.serve())
    enrichment = asyncio.create_task(worker.run_forever(stop))
    assist = AssistService(config, db) if config.assist.enabled else None
    helper = asyncio.create_task(assist.run_forever(stop)) if assist else None
    for start in adapters.starters:
        await start()
    scheduler.start()
    await scheduler.tick()  # catch up on anything missed while the bot was down
    log.info("linkletter is running on http://%s:%d", host, port)
    await stop.wait()

    log.info("stopping: finishing work in flight")
    scheduler.stop()
    server.should_exit = True
    for stop_adapter in adapters.stoppers:
        with contextlib.suppress(Exception):
            await stop_adapter()
    await asyncio.gather(web, enrichment, *([helper] if helper else []), return_exceptions=True)
    await enricher.aclose()
    if assist is not None:
        await assist.aclose()
    db.dispose()
    log.info("stopped")
