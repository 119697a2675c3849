"""``linkletter import``: start with last quarter's links."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli.context import console, fail, run_async, state

if TYPE_CHECKING:
    from bot.events import ChatEvent

BATCH = 200  # events per transaction
app = typer.Typer(
    help="Import chat history through the same idempotent path.", no_args_is_help=True
)


def _apply(ctx: typer.Context, load: Callable[[Path], list[ChatEvent]], path: Path) -> None:
    from rich.progress import track

    from adapters.console.imports import NotAnExport

    service = state(ctx).service()
    try:
        events = load(path)
    except NotAnExport as exc:
        fail(str(exc))
    watched = [event for event in events if service.is_watched(event.channel)]
    new = 0
    touched: set[int] = set()
    batches = [watched[i : i + BATCH] for i in range(0, len(watched), BATCH)]
    for batch in track(batches, description=f"Importing {path.name}", console=console):
        for outcome in run_async(functools.partial(service.handle_batch, batch)):
            new += not outcome.duplicate
            touched.update(outcome.item_ids)
    console.print(
        f"{len(events)} events read, {len(watched)} in watched channels, {new} new, "
        f"{len(watched) - new} already known; {len(touched)} items touched."
    )


@app.command("slack-export")
def slack_export(
    ctx: typer.Context, path: Path = typer.Argument(..., help="EXPORT.zip or its folder")
) -> None:
    """A Slack workspace export (channels.json, users.json, <channel>/<date>.json)."""
    from adapters.console.imports import slack_export_events

    _apply(ctx, slack_export_events, path)


@app.command("discord-export")
def discord_export(ctx: typer.Context, path: Path = typer.Argument(..., help="FILE.json")) -> None:
    """A DiscordChatExporter JSON export of one channel."""
    from adapters.console.imports import discord_export_events

    _apply(ctx, discord_export_events, path)
