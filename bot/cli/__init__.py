"""The ``linkletter`` command line (Typer). Exit codes: 0 done, 1 a problem the message
explains (config, database, input), 2 wrong usage, 3 published only in part / another process
is publishing."""

from __future__ import annotations

import logging
import sys

import typer

from bot.app.logs import configure
from bot.cli import assist, db, desk, digest, imports, items, ops
from bot.cli.context import LOG_FORMAT, Context, LogFormat, friendly_errors
from bot.cli.demo import demo
from bot.cli.init import init
from bot.envfile import load_env_files
from bot.platforms import every, labels

app = typer.Typer(
    name="linkletter",
    help=f"Turn the links your team shares in {labels()} into a weekly newsletter.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[web] host" must stay as written
)
app.add_typer(db.app, name="db")
app.add_typer(items.app, name="items")
app.add_typer(digest.app, name="digest")
app.add_typer(imports.app, name="import")
app.add_typer(assist.app, name="assist")
app.add_typer(desk.app, name="desk")
for _platform in every():  # a platform's own commands: `linkletter <name> …`
    if (_commands := _platform.cli()) is not None:
        app.add_typer(_commands, name=_platform.name)
app.command()(ops.run)
app.command()(ops.doctor)
app.command(help=f"Play last week of a team's {labels()} links, offline, and write the digest.")(
    demo
)
app.command()(init)


@app.callback()
def root(
    ctx: typer.Context,
    config: str | None = typer.Option(
        None,
        "--config",
        "-c",
        envvar="LINKLETTER_CONFIG",
        help="Path to linkletter.toml (default: ./linkletter.toml).",
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log everything, libraries' chatter included."
    ),
    log_format: LogFormat = LOG_FORMAT,
) -> None:
    configure(logging.WARNING, json_lines=log_format == "json", verbose=verbose)
    load_env_files(config)
    ctx.obj = Context(config_path=config, log_format=log_format, verbose=verbose)


def main() -> None:
    """The ``linkletter`` script: a database error in any command is one line, exit code 1,
    including commands that use a session directly rather than ``friendly_errors``."""
    try:
        with friendly_errors():
            app()
    except typer.Exit as done:
        sys.exit(done.exit_code)
