"""The web app: archive, feeds, stats and operations endpoints, plus the routes the owner adds
(the platforms' event endpoints, ``Connection.routes``), in one Starlette application served by
uvicorn.

Layout of the route table, in order:

1. ``/healthz``, ``/readyz``, ``/metrics``: always open (monitoring must not need the token);
2. ``extra_routes``: open (the platform signs its requests; the adapter checks the signature);
3. ``/static``: the stylesheet, open;
4. ``/desk/``: the editors' desk, behind its own sign-in (``bot.web.desk``);
5. everything else, the archive: behind ``TokenGate`` when ``web.private`` is true.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.config import Config, ConfigError
from bot.curate.service import CurationService
from bot.web.desk.views import DeskViews
from bot.web.health import Operations, ReadinessProbe
from bot.web.pages import page
from bot.web.security import SECURITY_HEADERS, SecurityHeaders, TokenGate
from bot.web.views import ArchiveViews
from storage.db import Database

log = logging.getLogger(__name__)
TOKEN_ENV = "LINKLETTER_WEB_TOKEN"  # noqa: S105 (the variable's name, not a secret)
MAX_BODY_BYTES = 1_000_000  # chat event payloads are a few kilobytes; pages are all GETs


def create_app(
    config: Config,
    db: Database,
    *,
    status: ReadinessProbe | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    token: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    core: CurationService | None = None,
) -> Starlette:
    """The ASGI app. ``token`` defaults to ``$LINKLETTER_WEB_TOKEN`` (only read when
    ``web.private`` is true); ``now`` anchors the stats page's weeks and the desk's clock
    (tests pass a fixed clock); ``core`` is the process's core, through which the desk's
    changes go (and its publish operations, ``core.commands.ops``).

    Raises ``ConfigError`` when the archive is private but no token is set: failing at start
    beats serving a private archive to everyone, or to no one, by accident.
    """
    views = ArchiveViews(config, db, now)
    archive = Mount("", routes=views.routes(), middleware=_gate(config, token))
    desk = DeskViews(config, core or CurationService(config, db), now)
    routes: list[BaseRoute] = [
        *Operations(db, status).routes(),
        *extra_routes,
        Mount("/static", app=StaticFiles(packages=[("bot.web", "static")]), name="static"),
        Mount("/desk", routes=desk.routes()),
        archive,
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(RequestBodyLimitMiddleware, max_body_size=MAX_BODY_BYTES),
        ],
        exception_handlers={404: _not_found, Exception: _server_error},
    )


def _gate(config: Config, explicit: str | None) -> list[Middleware]:
    if not config.web.private:
        return []
    token = explicit or os.environ.get(TOKEN_ENV, "")
    if not token:
        raise ConfigError(
            f"web.private is true but {TOKEN_ENV} is not set: set it to a long random "
            "string (e.g. `openssl rand -hex 32`), or set web.private = false"
        )
    return [Middleware(TokenGate, token=token)]


async def _not_found(request: Request, _exc: Exception) -> Response:
    return page("not_found.html.j2", request, status_code=404)


async def _server_error(_request: Request, exc: Exception) -> Response:
    """Starlette sends this from outside our middleware, so it carries the headers itself."""
    log.error("web request failed", exc_info=exc)
    return PlainTextResponse("Internal Server Error", 500, headers=dict(SECURITY_HEADERS))
