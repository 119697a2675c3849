"""``linkletter demo``: the offline end-to-end demo."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.context import console, friendly_errors


def demo(
    out: Path = typer.Option(Path("linkletter-demo"), help="Folder for the demo's output."),
) -> None:
    """Play a week of a team's Slack and Discord links, offline, and write the digest."""
    from adapters.console.demo import run_demo  # the console adapter, only for this command

    with (
        console.status("Playing a week of shares, reactions, edits and deletions…"),
        friendly_errors(),
    ):
        result = run_demo(out)
    markdown = result.files["markdown"].read_text(encoding="utf-8").split("---\n", 2)[-1]
    from rich.markdown import Markdown
    from rich.panel import Panel

    console.print(Panel(Markdown(markdown), title=result.issue.title, expand=False))
    console.print(
        f"{result.events} chat events → {result.items} items in the issue. Files written:"
    )
    for name, path in result.files.items():
        console.print(f"  {name:9} {path}")
