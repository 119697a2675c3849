"""What every command needs: the config, the database, and errors people can act on."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.text import Text

from bot.cli.terminal import SafeConsole

if TYPE_CHECKING:  # imported on first use, so that `--help` does not load SQLAlchemy & co.
    from bot.config import Config
    from bot.curate.service import CurationService
    from storage.db import Database

T = TypeVar("T")
console = SafeConsole()
errors = SafeConsole(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear line on stderr and a non-zero exit code."""
    errors.print(Text("error:", style="bold red"), message, soft_wrap=True)
    raise typer.Exit(code)


class LogFormat(StrEnum):
    text = "text"
    json = "json"


LOG_FORMAT = typer.Option(
    LogFormat.text,
    "--log-format",
    envvar="LINKLETTER_LOG_FORMAT",
    help="Logs on stderr as text, or as JSON lines (ts, level, logger, msg, event fields).",
)


@dataclass
class Context:
    config_path: str | None = None
    log_format: LogFormat = LogFormat.text
    verbose: bool = False

    def config(self) -> Config:
        from bot.config import ConfigError, load_config

        try:
            return load_config(self.config_path)
        except ConfigError as exc:
            fail(str(exc))

    def database(self, require_schema: bool = True, create: bool = False) -> Database:
        """The database; a SQLite file that does not exist is an error unless ``create``
        (``db upgrade``), so a command that reads never leaves an empty file behind."""
        from bot.config import database_url
        from storage.db import Database

        with friendly_errors():
            db = Database.connect(database_url(), create=create)
            if require_schema:
                db.require_current_schema()
        return db

    def service(self) -> CurationService:
        from bot.curate.service import CurationService

        return CurationService(self.config(), self.database())


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn the failures an operator can fix into one line and exit code 1."""
    try:
        yield
    except Exception as exc:  # what it is, is asked only then: `--help` imports none of it
        message = operator_message(exc)
        if message is None:
            raise
        fail(message)


def operator_message(exc: Exception) -> str | None:
    """The one line for a failure an operator can fix, or None for any other exception."""
    from bot.config import ConfigError
    from bot.curate.commands import Refused
    from storage.errors import StorageError

    # StorageError: disk full, read-only, locked... (storage explains its driver's errors)
    if isinstance(exc, ConfigError | StorageError | Refused):
        return str(exc)
    if isinstance(exc, KeyError):  # unknown digest names and the like
        return str(exc.args[0]) if exc.args else str(exc)
    return None


def run_async(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with friendly_errors():
        import asyncio  # not at the top: `--help` needs no event loop

        return asyncio.run(work())


def state(ctx: typer.Context) -> Context:
    found = ctx.find_object(Context)
    if found is None:  # pragma: no cover - the root callback always sets it
        sys.exit("internal error: no CLI context")
    return found
