"""``linkletter --help`` (and every sub-command's) stays quick: the command modules import what a
command needs when it runs, so reading the help loads neither the database layer nor the
service (docs/benchmarks.md, CLI start; ``python -m bench.cli_start`` times it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every --help in one fresh interpreter, then the top-level packages it imported.
PROBE = """
import sys
from bench.cli_start import command_paths
from bot.cli import app
from bot.cli.context import friendly_errors
import typer.main
group = typer.main.get_command(app)
for path in command_paths():
    try:  # as the `linkletter` script runs it (bot.cli.main)
        with friendly_errors():
            group.main([*path, "--help"], prog_name="linkletter", standalone_mode=False)
    except SystemExit:
        pass
print(" ".join(sorted(sys.modules)), file=sys.stderr)
"""
NOT_FOR_HELP = {
    "sqlalchemy": "the database layer (storage.db, on the first query)",
    "sqlmodel": "the models (storage.models)",
    "storage": "the repositories, imported inside each command",
    "alembic": "`linkletter db upgrade`",
    "bot.config": "loading linkletter.toml (Context.config)",
    "bot.curate.service": "the curation service (Context.service)",
    "bot.digest": "rendering (digest commands)",
    "bot.deliver": "publishing (digest commands)",
    "bot.enrich": "fetching pages (items enrich)",
    "httpx": "outgoing HTTP (publishing, enrichment, doctor)",
    "asyncio": "commands that run async work (run_async)",
}
# Plain enums, no SQL: ``items list --status`` offers the statuses the database holds.
ALLOWED = {"storage", "storage.states"}


def test_help_imports_no_command_machinery() -> None:
    result = subprocess.run(  # noqa: S603 - our interpreter, a fixed program
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(result.stderr.split()) - ALLOWED
    found = [
        f"{name} (meant for {why})"
        for name, why in NOT_FOR_HELP.items()
        if name in loaded or any(module.startswith(f"{name}.") for module in loaded)
    ]
    assert not found, "imported by --help: " + "; ".join(found)
    assert "bot.cli.items" in loaded  # the probe did load the commands


def test_the_root_help_loads_no_pydantic() -> None:
    """Typer loads pydantic for a sub-command's help, but ``linkletter --help`` need not: the
    platforms' commands are listed from ``bot.platform`` alone (``bot.platform_settings`` holds
    the pydantic part)."""
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "sys.argv = ['linkletter', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(  # noqa: S603 - our interpreter, a fixed program
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "pydantic" not in result.stderr.split()
