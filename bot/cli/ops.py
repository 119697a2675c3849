"""``linkletter run`` and ``linkletter doctor``."""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import TYPE_CHECKING

import typer

from bot.cli.context import LogFormat, console, fail, friendly_errors, state

ARCHIVE_CHECK_SECONDS = 15.0  # doctor waits this long for the archive, not a capture's timeout

if TYPE_CHECKING:
    from bot.config import Config
    from bot.platform import Check


def run(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Listen address (default: [web] host)."),
    port: int | None = typer.Option(None, help="Listen port (default: [web] port)."),
    log_format: LogFormat | None = typer.Option(
        None, help="text or json (one JSON object per line); the same as before `run`."
    ),
) -> None:
    """Run the adapters, the enrichment worker, the scheduler and the web server (and the
    assist and archive workers when enabled)."""
    import asyncio

    from bot.app.logs import configure
    from bot.app.runner import StartupError, limit_malloc_arenas, serve

    limit_malloc_arenas()
    context = state(ctx)
    chosen = log_format or context.log_format
    configure(logging.INFO, json_lines=chosen == LogFormat.json, verbose=context.verbose)
    config = context.config()
    db = context.database()
    try:
        with friendly_errors():
            asyncio.run(serve(config, db, host or config.web.host, port or config.web.port))
    except StartupError as exc:
        fail(str(exc))


async def _platform_checks(config: Config) -> list[Check]:
    """Each platform whose token is set checks its own token, scopes, channels and editors."""
    from bot.platforms import every

    checks: list[Check] = []
    for platform in every():
        if os.environ.get(platform.token_variable):
            checks += await platform.doctor(config, os.environ)
    return checks


async def _archive_check(config: Config) -> list[Check]:
    """With ``[archive]`` enabled: does the save endpoint answer (any status below 500)?"""
    if not config.archive.enabled:
        return []
    from bot.app.wiring import archive_settings
    from bot.enrich.archive import ArchiveClient
    from bot.enrich.model import FetchFailed
    from bot.platform import Check

    settings = dataclasses.replace(archive_settings(config), timeout=ARCHIVE_CHECK_SECONDS)
    client = ArchiveClient(settings)
    fix = "check the network and any proxy; LINKLETTER_ARCHIVE_URL overrides [archive] save_url"
    try:
        status = await client.status()
    except FetchFailed as error:
        return [Check("archive", False, f"cannot reach {settings.save_url} ({error})", fix)]
    finally:
        await client.aclose()
    if status >= 500:
        return [Check("archive", False, f"{settings.save_url} answers HTTP {status}", fix)]
    return [Check("archive", True, f"{settings.save_url} answers (HTTP {status})")]


def _schema_check() -> Check:
    from bot.config import database_url
    from bot.platform import Check
    from storage.db import Database, DatabaseUnavailable

    try:
        db = Database.connect(database_url(), create=False)
        revision, head = db.current_revision(), db.head_revision()
    except DatabaseUnavailable as exc:
        return Check("database", False, str(exc), "check LINKLETTER_DATABASE_URL")
    if revision == head:
        return Check("database", True, f"schema {revision}")
    return Check(
        "database",
        False,
        f"schema {revision or 'empty'}, needs {head}",
        "run `linkletter db upgrade`",
    )


def doctor(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="The checks as JSON, for scripts."),
) -> None:
    """Check the config, the database, the tokens, scopes, intents, channels and editors, and
    the archive endpoint when [archive] is enabled."""
    import asyncio

    from bot.app.doctor import config_checks
    from bot.cli.terminal import print_checks
    from bot.envfile import config_path
    from bot.platform import Check

    context = state(ctx)
    config = context.config()
    checks = [
        Check("config", True, f"{config_path(context.config_path)} is valid"),
        _schema_check(),
        *config_checks(config, os.environ),
        *asyncio.run(_platform_checks(config)),
        *asyncio.run(_archive_check(config)),
    ]
    print_checks(console, checks, as_json)
    if not all(check.ok for check in checks):
        raise typer.Exit(1)
