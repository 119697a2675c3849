"""How long ``linkletter … --help`` takes, next to a one-command Typer app in the same
environment (the floor: the interpreter, Typer and Rich). Each ``--help`` (the root's and every
sub-command's) runs interleaved with the floor; the ratio is of the medians.

    python -m bench.cli_start [--repeat 5] [--only "items list"]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import typer.main

from bench import machine
from bot.cli import app

TARGET_RATIO = 1.5
FLOOR = '''
import typer

app = typer.Typer()


@app.command()
def hello(name: str = typer.Option("world", help="Who to greet.")) -> None:
    """Say hello."""
    print(f"Hello {name}")


app()
'''


def command_paths() -> Iterator[list[str]]:
    """``[]`` for the root, then every group and command below it, depth first."""

    def walk(command: Any, path: list[str]) -> Iterator[list[str]]:  # a (vendored) click.Command
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


def measure(path: list[str], floor: Path, repeat: int) -> tuple[float, float]:
    """(median seconds of ``linkletter PATH --help``, median of the floor's ``--help``)."""
    commands = {
        "floor": [sys.executable, str(floor), "--help"],
        "linkletter": [sys.executable, "-m", "bot", *path, "--help"],
    }
    medians = machine.interleaved_medians(commands, repeat)
    return medians["linkletter"], medians["floor"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved runs of each")
    parser.add_argument("--only", nargs="+", help='sub-commands to time, e.g. "items list"')
    args = parser.parse_args(argv)
    paths = [p.split() for p in args.only] if args.only else list(command_paths())
    print(machine.describe())
    worst = 0.0
    with tempfile.TemporaryDirectory() as directory:
        floor = Path(directory) / "floor.py"
        floor.write_text(FLOOR)
        for path in paths:
            mine, base = measure(path, floor, args.repeat)
            worst = max(worst, mine / base)
            name = " ".join(["linkletter", *path, "--help"])
            print(
                f"  {name:<42} {mine * 1000:6.0f} ms, floor {base * 1000:4.0f} ms, "
                f"ratio {mine / base:.2f} (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    verdict = "MET" if worst <= TARGET_RATIO else "NOT MET"
    print(f"cli start: worst ratio {worst:.2f} (target <= {TARGET_RATIO}: {verdict})")


if __name__ == "__main__":
    main()
