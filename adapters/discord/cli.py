"""``linkletter discord …``: Discord's own commands (``invite-url``).

Cheap to import (``--help`` builds it): discord.py loads when a command runs.
"""

from __future__ import annotations

import os

import typer

from bot.cli.context import console, fail

app = typer.Typer(help="Discord helpers.", no_args_is_help=True)


@app.command("invite-url")
def invite_url(
    client_id: str | None = typer.Option(
        None, help="The application's client id (default: from the token)."
    ),
) -> None:
    """The URL a server admin opens to add the bot with exactly the permissions it needs."""
    from adapters.discord.invite import REQUIRED
    from adapters.discord.invite import invite_url as build_url

    if client_id is None:
        token = os.environ.get("DISCORD_TOKEN", "")
        client_id = _client_id_from_token(token)
    console.print(f"Permissions integer: {REQUIRED.value}")
    print(build_url(client_id))


def _client_id_from_token(token: str) -> str:
    """A bot token starts with the base64 of the application's id."""
    import base64
    import binascii

    head = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if not decoded.isdigit():
        fail("give --client-id, or set DISCORD_TOKEN (the bot token carries the application id)")
    return decoded
