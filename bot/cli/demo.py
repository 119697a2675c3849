"""``linkletter demo``: the offline end-to-end demo."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

import typer

from bot.cli.context import console, friendly_errors
from bot.cli.terminal import markdown, plain
from bot.platforms import CONSOLE, every, in_a_sentence

if TYPE_CHECKING:
    from bot.digest.model import CompiledIssue


class DemoResult(Protocol):
    """What the console adapter's ``run_demo`` reports."""

    @property
    def issue(self) -> CompiledIssue: ...

    @property
    def files(self) -> dict[str, Path]: ...

    @property
    def events(self) -> int: ...

    @property
    def items(self) -> int: ...


def _run_demo(out: Path) -> DemoResult:
    """The console adapter's demo, found by name like the platforms (the core imports no
    adapter), and only for this command."""
    return cast("DemoResult", importlib.import_module(f"{CONSOLE}.demo").run_demo(out))


def demo(
    out: Path = typer.Option(Path("linkletter-demo"), help="Folder for the demo's output."),
) -> None:
    """The offline demo (its help names the registered platforms: see ``bot.cli``)."""
    with (
        console.status("Playing a week of shares, reactions, edits and deletions…"),
        friendly_errors(),
    ):
        result = _run_demo(out)
    text = result.files["markdown"].read_text(encoding="utf-8").split("---\n", 2)[-1]
    from rich.panel import Panel

    console.print(Panel(markdown(text), title=plain(result.issue.title), expand=False))
    console.print(
        f"{result.events} chat events → {result.items} items in the issue. Files written:"
    )
    for name, path in result.files.items():
        console.print(f"  {name:9} {path}", soft_wrap=True)
    for line in next_steps(result.files):
        console.print(line, soft_wrap=True)


def next_steps(files: dict[str, Path]) -> list[str]:
    """What to try after the demo: its files, its database, then one's own team."""
    config, database = files["config"], files["database"]
    guides = in_a_sentence([f"docs/{chat.name}.md" for chat in every()])
    return [
        "",
        "Try next:",
        f"  open {files['html']} in a browser (the pages and pictures are copied beside it)",
        "  curate the demo's queue from the terminal:",
        f"    export LINKLETTER_CONFIG={config} LINKLETTER_DATABASE_URL=sqlite:///{database}",
        "    linkletter items list",
        "    linkletter digest show 1",
        "  set up your own team: linkletter init, then linkletter doctor",
        f"    ({guides} walk through the tokens)",
    ]
