"""``linkletter run``, ``linkletter doctor`` and ``linkletter discord invite-url``."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import typer

from bot.cli.context import console, fail, friendly_errors, state

if TYPE_CHECKING:
    from bot.config import Config

discord_app = typer.Typer(help="Discord helpers.", no_args_is_help=True)


def run(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Listen address (default: [web] host)."),
    port: int | None = typer.Option(None, help="Listen port (default: [web] port)."),
    log_format: str = typer.Option("text", help="text or json (one JSON object per line)."),
) -> None:
    """Run the adapters, the enrichment worker, the scheduler and the web server."""
    import asyncio

    from bot.logs import configure
    from bot.runner import StartupError, limit_malloc_arenas, serve

    limit_malloc_arenas()
    if log_format not in ("text", "json"):
        fail("--log-format is text or json")
    configure(logging.INFO, json_lines=log_format == "json")
    context = state(ctx)
    config = context.config()
    db = context.database()
    try:
        with friendly_errors():
            asyncio.run(serve(config, db, host or config.web.host, port or config.web.port))
    except StartupError as exc:
        fail(str(exc))


def _channels(config: Config, platform: str) -> list[str]:
    return sorted(
        {
            c
            for d in config.digests
            for c in d.sources + d.publish_to
            if c.startswith(f"{platform}:")
        }
    )


async def _checks(config: Config) -> list[tuple[str, bool, str]]:
    results: list[tuple[str, bool, str]] = []
    if os.environ.get("SLACK_BOT_TOKEN"):
        from adapters.slack.doctor import run_checks
        from adapters.slack.settings import SlackSettings, make_client

        client = make_client(
            SlackSettings(
                bot_token=os.environ["SLACK_BOT_TOKEN"],
                api_url=os.environ.get("SLACK_API_URL") or "https://slack.com/api/",
            )
        )
        results += [
            ("slack", ok, message)
            for ok, message in await run_checks(client, _channels(config, "slack"))
        ]
    elif _channels(config, "slack"):
        results.append(
            ("slack", False, "SLACK_BOT_TOKEN is not set but the config names Slack channels")
        )
    if os.environ.get("DISCORD_TOKEN"):
        from adapters.discord.bot import DiscordSettings
        from adapters.discord.doctor import doctor as discord_doctor

        settings = DiscordSettings.from_env()
        checks = await discord_doctor(
            settings.token,
            _channels(config, "discord"),
            api_url=settings.api_url,
            gateway_url=settings.gateway_url,
        )
        results += [("discord", check.ok, check.message) for check in checks]
    elif _channels(config, "discord"):
        results.append(
            ("discord", False, "DISCORD_TOKEN is not set but the config names Discord channels")
        )
    return results


def doctor(ctx: typer.Context) -> None:
    """Check the config, the database, the tokens, scopes, intents and channel access."""
    import asyncio

    context = state(ctx)
    config = context.config()
    console.print("[green]✓[/] config: valid")
    db = context.database(require_schema=False)
    with friendly_errors():
        revision, head = db.current_revision(), db.head_revision()
    schema_ok = revision == head
    console.print(
        f"{'[green]✓' if schema_ok else '[red]✗'}[/] database: schema {revision or 'empty'}"
        + ("" if schema_ok else f", needs {head}: run `linkletter db upgrade`")
    )
    problems = 0 if schema_ok else 1
    for platform, ok, message in asyncio.run(_checks(config)):
        console.print(f"{'[green]✓' if ok else '[red]✗'}[/] {platform}: {message}")
        problems += not ok
    if problems:
        raise typer.Exit(1)


@discord_app.command("invite-url")
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
