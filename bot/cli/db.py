"""``linkletter db``: schema migrations."""

from __future__ import annotations

import typer

from bot.cli.context import console, friendly_errors, state

app = typer.Typer(help="Database schema: create or upgrade it.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Create the tables or bring them to this version's schema (safe to repeat)."""
    db = state(ctx).database(require_schema=False, create=True)
    with friendly_errors():
        db.upgrade()
        console.print(f"Database schema is at revision {db.current_revision()}.")


@app.command()
def current(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the one this version needs."""
    db = state(ctx).database(require_schema=False)
    with friendly_errors():
        console.print(f"database: {db.current_revision() or 'empty'}; needed: {db.head_revision()}")
