"""``linkletter import``: start with last quarter's links. Each platform offers the readers of
its history exports (``Platform.importers``); the work is in ``bot.cli.importing``, imported
when a command runs, so that ``--help`` stays quick."""

from __future__ import annotations

import functools
from pathlib import Path

import typer

from bot.cli.context import console, fail, run_async, state
from bot.platform import Importer
from bot.platforms import every

app = typer.Typer(
    help="Import chat history through the same idempotent path.", no_args_is_help=True
)


def _apply(ctx: typer.Context, importer: Importer, path: Path) -> None:
    from bot.capture.history import ImportReport, NotAnExport
    from bot.cli.importing import import_events, summary, warn

    service = state(ctx).service()
    watched = frozenset(s for digest in service.config.digests for s in digest.sources)
    report = ImportReport()
    try:
        export = importer.open(path)
        events = export.events(watched, report)
        totals = run_async(functools.partial(import_events, service, events, report, path.name))
    except NotAnExport as exc:
        warn(report)
        fail(str(exc))
    warn(report)
    for line in summary(path.name, report, totals):
        console.print(line, highlight=False, soft_wrap=True)


def _command(importer: Importer) -> None:
    """Add ``linkletter import <importer.command> PATH``."""

    def command(
        ctx: typer.Context, path: Path = typer.Argument(..., help=importer.path_help)
    ) -> None:
        _apply(ctx, importer, path)

    app.command(importer.command, help=importer.help)(command)


for _importer in (importer for platform in every() for importer in platform.importers()):
    _command(_importer)
