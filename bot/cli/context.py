"""What every command needs: the config, the database, and errors people can act on."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:  # imported on first use, so that `--help` does not load SQLAlchemy & co.
    from bot.config import Config
    from bot.service import CurationService
    from storage.db import Database

T = TypeVar("T")
console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear line on stderr and a non-zero exit code."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@dataclass
class Context:
    config_path: str | None = None

    def config(self) -> Config:
        from bot.config import ConfigError, load_config

        try:
            return load_config(self.config_path)
        except ConfigError as exc:
            fail(str(exc))

    def database(self, require_schema: bool = True) -> Database:
        from bot.config import database_url
        from storage.db import Database

        db = Database.connect(database_url())
        if require_schema:
            with friendly_errors():
                db.require_current_schema()
        return db

    def service(self) -> CurationService:
        from bot.service import CurationService

        return CurationService(self.config(), self.database())


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn the failures an operator can fix into one line and exit code 1."""
    from bot.config import ConfigError
    from storage.db import DatabaseUnavailable, SchemaOutOfDate

    try:
        yield
    except (ConfigError, DatabaseUnavailable, SchemaOutOfDate) as exc:
        fail(str(exc))
    except KeyError as exc:  # unknown digest names and the like
        fail(str(exc.args[0]) if exc.args else str(exc))


def run_async(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with friendly_errors():
        import asyncio  # not at the top: `--help` needs no event loop

        return asyncio.run(work())


def state(ctx: typer.Context) -> Context:
    found = ctx.find_object(Context)
    if found is None:  # pragma: no cover - the root callback always sets it
        sys.exit("internal error: no CLI context")
    return found
