"""Operations endpoints: liveness, readiness and the Prometheus scrape. Never behind the token."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.app.metrics import exposition, read_database_gauges
from storage.db import Database, DatabaseUnavailable, SchemaOutOfDate

log = logging.getLogger(__name__)
DATABASE_TIMEOUT = 5.0  # seconds; a probe must answer even when the database hangs


class ReadinessProbe(Protocol):
    """What the running process knows about its other parts (implemented by ``linkletter run``)."""

    def adapters_connected(self) -> dict[str, bool]:
        """Each configured chat adapter (by platform name) and whether it is connected."""
        ...

    def scheduler_running(self) -> bool: ...


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok\n")


class Operations:
    def __init__(
        self, db: Database, probe: ReadinessProbe | None, timeout: float = DATABASE_TIMEOUT
    ) -> None:
        self.db = db
        self.probe = probe
        self.timeout = timeout

    def routes(self) -> list[Route]:
        return [
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.metrics, methods=["GET"]),
        ]

    async def database_problem(self) -> str | None:
        """None when the database answers a real query and its schema is current."""
        try:
            await asyncio.wait_for(run_in_threadpool(self.db.require_current_schema), self.timeout)
        except DatabaseUnavailable as exc:
            log.warning("readiness: %s", exc)
            return "unreachable"
        except SchemaOutOfDate as exc:
            log.warning("readiness: %s", exc)
            return "schema out of date"
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        return None

    async def checks(self) -> dict[str, str]:
        """Each part's state: ``ok`` or what is wrong (kept vague: this endpoint is public)."""
        results = {"database": await self.database_problem() or "ok"}
        if self.probe is not None:
            for adapter, connected in sorted(self.probe.adapters_connected().items()):
                results[f"adapter:{adapter}"] = "ok" if connected else "disconnected"
            results["scheduler"] = "ok" if self.probe.scheduler_running() else "stopped"
        return results

    async def readyz(self, _request: Request) -> Response:
        checks = await self.checks()
        not_ready = [name for name, state in checks.items() if state != "ok"]
        body = {"ready": not not_ready, "not_ready": not_ready, "checks": checks}
        return JSONResponse(body, status_code=503 if not_ready else 200)

    async def metrics(self, _request: Request) -> Response:
        try:
            gauges = await asyncio.wait_for(
                run_in_threadpool(read_database_gauges, self.db), self.timeout
            )
        except TimeoutError:
            gauges = None  # reported as linkletter_database_up 0
        return Response(exposition(gauges), media_type=CONTENT_TYPE_LATEST)
