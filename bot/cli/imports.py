"""``linkletter import``: start with last quarter's links (the work is in ``bot.cli.importing``,
imported when a command runs, so that ``--help`` stays quick)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli.context import console, fail, run_async, state

if TYPE_CHECKING:
    from bot.cli.importing import Export

app = typer.Typer(
    help="Import chat history through the same idempotent path.", no_args_is_help=True
)


def _apply(ctx: typer.Context, open_export: Callable[[Path], Export], path: Path) -> None:
    from adapters.console.imports import ImportReport, NotAnExport
    from bot.cli.importing import import_events, summary, warn

    service = state(ctx).service()
    watched = frozenset(s for digest in service.config.digests for s in digest.sources)
    report = ImportReport()
    try:
        export = open_export(path)
        events = export.events(watched, report)
        totals = run_async(functools.partial(import_events, service, events, report, path.name))
    except NotAnExport as exc:
        warn(report)
        fail(str(exc))
    warn(report)
    for line in summary(path.name, report, totals):
        console.print(line, highlight=False, soft_wrap=True)


@app.command("slack-export")
def slack_export(
    ctx: typer.Context, path: Path = typer.Argument(..., help="EXPORT.zip or its folder")
) -> None:
    """A Slack workspace export (channels.json, groups.json, users.json, <channel>/<date>.json)."""
    from adapters.console.imports import SlackExport

    _apply(ctx, SlackExport, path)


@app.command("discord-export")
def discord_export(ctx: typer.Context, path: Path = typer.Argument(..., help="FILE.json")) -> None:
    """A DiscordChatExporter JSON export of one channel or thread."""
    from adapters.console.imports import DiscordExport

    _apply(ctx, DiscordExport, path)
