"""``linkletter run``: one process with the chat adapters, the enrichment worker, the scheduler,
the web server and, when enabled, the assist and the archive worker; stopped cleanly by
SIGTERM/SIGINT (work in flight finishes or is left leased in the database for the next start;
nothing is lost)."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute

from bot import platforms
from bot.app.logs import activity_logger
from bot.app.metrics import count_handled
from bot.app.wiring import archive_settings, destinations_for, fetch_settings
from bot.assist.service import AssistService
from bot.config import Config
from bot.curate.service import CurationService
from bot.deliver.engine import PublishEngine
from bot.deliver.notify import EditorNotifier
from bot.deliver.ops import EngineOps
from bot.deliver.scheduler import DigestScheduler
from bot.enrich.archive import ArchiveClient
from bot.enrich.archive_worker import ArchiveWorker
from bot.enrich.enricher import Enricher
from bot.enrich.worker import EnrichmentWorker
from bot.platform import Connection
from bot.platforms import every
from bot.ports import ChatPublisher
from bot.web import WebServer, create_app
from storage.db import Database

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # glibc <malloc.h>
MALLOC_ARENAS = 2
STOP_STEP_SECONDS = 15.0  # the longest one shutdown step may take before the rest go on
SWITCH_INTERVAL = 0.001  # seconds; Python's default is 0.005


def favour_the_event_loop(seconds: float = SWITCH_INTERVAL) -> None:
    """Let the event loop thread get the GIL back within ``seconds`` (Python's default: 5 ms).

    The core's database work runs in worker threads and is CPU-bound for a whole batch; each
    time the loop wakes (an HTTP request from a chat platform) it may wait a full switch
    interval for the GIL, several times per request. At 200 events/s the p99 time to ack was
    119 ms with 5 ms and 53 ms with 1 ms (the event ack benchmark in docs/benchmarks.md).
    """
    sys.setswitchinterval(seconds)


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Like ``MALLOC_ARENA_MAX=2``, for however the operator starts the bot; True if applied.

    glibc gives each new thread its own heap (up to 8 per core) and keeps what is freed there;
    the database and extraction work of ``asyncio.to_thread`` spread over them and left ~10 MB
    of free but resident memory after a few thousand events (docs/benchmarks.md, Memory).
    Call it before threads start. An operator's own ``MALLOC_ARENA_MAX`` wins; not glibc: no-op.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    return mallopt is not None and mallopt(M_ARENA_MAX, arenas) == 1


class StartupError(Exception):
    """Something an operator must fix before the bot can run (a missing token, …)."""


@dataclass
class Adapters:
    """The chat platforms configured in the environment, by name."""

    connections: dict[str, Connection] = field(default_factory=dict)

    @property
    def publishers(self) -> dict[str, ChatPublisher]:
        return {name: c.publisher for name, c in self.connections.items()}

    @property
    def routes(self) -> list[BaseRoute]:
        return [route for c in self.connections.values() for route in c.routes()]


def _sources(config: Config, platform: str) -> list[str]:
    return sorted({c for d in config.digests for c in d.sources if c.startswith(f"{platform}:")})


def build_adapters(
    config: Config, core: CurationService, env: Mapping[str, str] = os.environ
) -> Adapters:
    """A connection for each platform whose token is set; ``StartupError`` for one that cannot
    start (its settings are wrong, or the config watches its channels but its token is unset)."""
    adapters = Adapters()
    for platform in every():
        sources = _sources(config, platform.name)
        if env.get(platform.token_variable):
            try:
                connection = platform.connect(core, config, sources, env)
            except ValueError as exc:
                raise StartupError(f"{platform.label}: {exc}") from exc
            adapters.connections[platform.name] = connection
        elif sources:
            raise StartupError(
                f"the config watches {', '.join(sources)} but {platform.token_variable} is "
                f"not set: export it (see .env.example), or remove those channels"
            )
    return adapters


class Probe:
    """Readiness for ``/readyz``."""

    def __init__(self, adapters: Adapters, scheduler: DigestScheduler) -> None:
        self.adapters = adapters
        self.scheduler = scheduler

    def adapters_connected(self) -> dict[str, bool]:
        return {name: bool(c.is_connected()) for name, c in self.adapters.connections.items()}

    def scheduler_running(self) -> bool:
        return self.scheduler.running


async def serve(
    config: Config,
    db: Database,
    host: str,
    port: int,
    stop: asyncio.Event | None = None,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or ``stop`` is set); ``ready`` gets the bound port."""
    favour_the_event_loop()
    core = CurationService(config, db)
    adapters = build_adapters(config, core)

    engine = PublishEngine(
        config, db, destinations_for(config, adapters.publishers), link_check=fetch_settings(config)
    )
    core.commands.ops = EngineOps(engine)
    scheduler = DigestScheduler(config, engine, EditorNotifier(adapters.publishers))
    enricher = Enricher(fetch_settings(config))
    worker = EnrichmentWorker(config, db, enricher)
    core.listeners.append(lambda _event, outcome: worker.wake() if outcome.item_ids else None)

    core.listeners.append(count_handled)
    core.listeners.append(activity_logger(config.receipts.captured))
    app = create_app(
        config, db, status=Probe(adapters, scheduler), extra_routes=adapters.routes, core=core
    )
    web = WebServer(app, host, port)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    try:
        await web.start()
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc} (use --port)") from exc
    enrichment = asyncio.create_task(worker.run_forever(stop))
    assist = AssistService(config, db) if config.assist.enabled else None
    archiver = ArchiveClient(archive_settings(config)) if config.archive.enabled else None
    background = [enrichment]
    if assist is not None:
        background.append(asyncio.create_task(assist.run_forever(stop)))
    if archiver is not None:
        background.append(
            asyncio.create_task(ArchiveWorker(config, db, archiver).run_forever(stop))
        )
    if await _unless_stopped(_start(adapters, scheduler), stop):
        log.info("linkletter is running on http://%s:%d", host, web.port)
        if ready is not None:
            ready(web.port)
        await stop.wait()

    log.info("stopping: finishing work in flight")
    scheduler.stop()
    for name, connection in adapters.connections.items():
        await _within(STOP_STEP_SECONDS, connection.stop(), name)
    await _finish_or_cancel(background, STOP_STEP_SECONDS)
    await web.stop()
    await enricher.aclose()
    if assist is not None:
        await assist.aclose()
    if archiver is not None:
        await archiver.aclose()
    db.dispose()
    log.info("stopped")


async def _start(adapters: Adapters, scheduler: DigestScheduler) -> None:
    for name, connection in adapters.connections.items():
        try:
            await connection.start()
        except ValueError as exc:  # something the operator must fix (an alias that is not a room)
            raise StartupError(f"{platforms.platform(name).label}: {exc}") from exc
    scheduler.start()
    await scheduler.tick()  # catch up on anything missed while the bot was down


async def _unless_stopped(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> bool:
    """Run ``work`` (startup) unless ``stop`` is set first, then cancel it; True if it finished.

    Startup waits on the network (a chat SDK may retry its first connection forever while the
    platform is unreachable); SIGTERM must still stop the process.
    """
    task = asyncio.create_task(work)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not task.done():
        task.cancel()
        log.info("stop requested while starting")
    await asyncio.gather(task, stopped, return_exceptions=True)
    if task.cancelled():
        return False
    task.result()  # a startup failure (StartupError, …) is raised as before
    return True


async def _within(seconds: float, step: Awaitable[None], what: str) -> None:
    """One shutdown step, given up after ``seconds``: a dead network must not hold SIGTERM."""
    try:
        async with asyncio.timeout(seconds):
            await step
    except TimeoutError:
        log.warning("stopping: %s did not stop within %ss; going on", what, seconds)
    except Exception as exc:
        log.warning("stopping: %s failed to stop cleanly: %s", what, exc)


async def _finish_or_cancel(tasks: list[asyncio.Task[None]], seconds: float) -> None:
    """Let background work finish for up to ``seconds``, then cancel what is left."""
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        log.warning("stopping: %s still running after %ss; cancelled", task.get_name(), seconds)
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
