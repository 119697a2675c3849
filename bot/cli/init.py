"""``linkletter init``: write a commented linkletter.toml and a .env template."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.context import console, fail

TEMPLATE = """\
# Linkletter configuration. Every key is explained in docs/configuration.md.
# Secrets (tokens) live in the environment or .env, never here.

[receipts]
captured = "inbox_tray"      # reaction put on a message whose link was captured
duplicate = "recycle"        # reaction for a link already in the queue
duplicate_mode = "reaction"  # reaction | reply | none

[fetch]
allow_private_networks = false  # true only for intranet wikis (or LINKLETTER_FETCH_ALLOW_PRIVATE=1)

[web]
host = "0.0.0.0"
port = 8080
# public_url = "https://links.example.com"  # makes links in posts and feeds absolute

[[digest]]
name = "{name}"
title = "{title}"
sources = [{sources}]        # channels to watch: "slack:C0123", "discord:123456789"
publish_to = [{publish_to}]  # where issues go: channels, "file:DIR", "smtp:ADDRESS"
editors = [{editors}]        # "slack:U0123", "discord:<user id>", "discord:role:<role id>"
schedule = "{schedule}"      # "mon 09:00", "daily 18:30" or a crontab
timezone = "{timezone}"
preview_hours = 24           # editors get a preview this long before publishing
grace_hours = 12             # publish late after downtime, up to this long

[digest.emoji]
approve = "white_check_mark"
reject = "x"
feature = "star"

# [[digest.sections]]
# name = "Machine Learning"
# hashtags = ["ml"]
# channels = ["slack:C0123"]
# domains = ["arxiv.org"]
# keywords = ["transformer"]
"""

ENV_TEMPLATE = """\
# Linkletter secrets and endpoints (see docs/configuration.md). Copy to .env.
LINKLETTER_DATABASE_URL=sqlite:///linkletter.db
# LINKLETTER_DATABASE_URL=postgresql://linkletter:secret@db:5432/linkletter
SLACK_BOT_TOKEN=
SLACK_SIGNING_SECRET=
# Socket Mode (no public URL needed): the app-level token, xapp-…
SLACK_APP_TOKEN=
# SLACK_API_URL=https://slack.com/api/
DISCORD_TOKEN=
# DISCORD_API_URL=https://discord.com/api/v10
# DISCORD_GATEWAY_URL=wss://gateway.discord.gg
# DISCORD_SHARD_ID=0
# DISCORD_SHARD_COUNT=1
# LINKLETTER_WEB_TOKEN=
# LINKLETTER_ASSIST_API_KEY=
POSTGRES_PASSWORD=change-me
"""


def _quoted(values: list[str]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def init(
    name: str = typer.Option("weekly", prompt="Digest name (lower case)"),
    title: str = typer.Option("{name} — Issue {number}", help="Title template."),
    source: list[str] = typer.Option([], help="A channel to watch (repeat)."),
    publish_to: list[str] = typer.Option([], help="A destination (repeat)."),
    editor: list[str] = typer.Option([], help="An editor (repeat)."),
    schedule: str = typer.Option("mon 09:00", prompt="When to publish"),
    timezone: str = typer.Option("UTC", prompt="IANA time zone"),
    path: Path = typer.Option(Path("linkletter.toml"), help="Where to write the config."),
    force: bool = typer.Option(False, help="Overwrite existing files."),
) -> None:
    """Write a commented linkletter.toml and a .env template (flags or questions)."""
    sources = source or [typer.prompt("A channel to watch (slack:C… or discord:…)")]
    text = TEMPLATE.format(
        name=name,
        title=title,
        sources=_quoted(sources),
        publish_to=_quoted(publish_to),
        editors=_quoted(editor),
        schedule=schedule,
        timezone=timezone,
    )
    from bot.config import ConfigError, parse_config

    try:
        parse_config(text, str(path))
    except ConfigError as exc:
        fail(f"these answers do not make a valid config:\n{exc}")
    env = path.with_name(".env.example")
    for target in (path, env):
        if target.exists() and not force:
            fail(f"{target} exists; pass --force to overwrite it")
    path.write_text(text, encoding="utf-8")
    env.write_text(ENV_TEMPLATE, encoding="utf-8")
    console.print(f"Wrote {path} and {env}. Next: `linkletter db upgrade`, then `linkletter run`.")
