"""``linkletter init``: write a commented linkletter.toml and a .env template.

Asks (or takes as flags, for scripts) the digest's name, schedule, time zone, the channels to
watch, where to publish and who the editors are; each id is checked for its platform before
anything is written, and existing files are kept unless ``--force``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import typer

from bot.cli.context import console, fail
from bot.platforms import every

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
host = "127.0.0.1"  # this machine only; "0.0.0.0" opens the archive and /metrics to every
port = 8080         # network: put a reverse proxy in front or set private = true
# public_url = "https://links.example.com"  # links in posts and feeds; HTTP events

[[digest]]
name = {name}
title = {title}
sources = [{sources}]        # channels to watch: {channel_examples}
publish_to = [{publish_to}]  # where issues go: channels, "file:DIR", "smtp:ADDRESS"
editors = [{editors}]        # {editor_examples}
schedule = {schedule}      # "mon 09:00", "daily 18:30" or a crontab
timezone = {timezone}
preview_hours = 24           # editors get a preview this long before publishing
grace_hours = 12             # publish late after downtime, up to this long

[digest.emoji]
approve = "white_check_mark"
reject = "x"
feature = "star"

# [[digest.sections]]
# name = "Machine Learning"
# hashtags = ["ml"]
# channels = [{section_channel}]
# domains = ["arxiv.org"]
# keywords = ["transformer"]
"""

ENV_TEMPLATE = """\
# Linkletter secrets and endpoints (see docs/configuration.md). Copy to .env.
LINKLETTER_DATABASE_URL=sqlite:///linkletter.db
# LINKLETTER_DATABASE_URL=postgresql://linkletter:secret@db:5432/linkletter
{platforms}# LINKLETTER_WEB_TOKEN=
# LINKLETTER_ASSIST_API_KEY=
# LINKLETTER_ARCHIVE_URL=https://web.archive.org/save/
POSTGRES_PASSWORD=change-me
"""


Check = Callable[[str], str]


def _channels() -> list[str]:
    """One example channel id per platform (``IdRules``)."""
    return [f"{chat.name}:{chat.ids.channel_example}" for chat in every()]


def _editors() -> list[str]:
    return [f"{chat.name}:{chat.ids.editor_example}" for chat in every()]


SOURCE_EXAMPLE = ", ".join(_channels())
DESTINATION_EXAMPLE = ", ".join([*_channels(), "file:./issues"])
EDITOR_EXAMPLE = ", ".join(_editors())


def env_template() -> str:
    """The .env template, each platform's variables in the middle."""
    return ENV_TEMPLATE.format(platforms="".join(chat.env_template for chat in every()))


def _template(**answers: str) -> str:
    """The config: the answers, with the registry's ids in the comments."""
    return TEMPLATE.format(
        channel_examples=_quoted(_channels()),
        editor_examples=_quoted(_editors()),
        section_channel=_quoted(_channels()[:1]),
        **answers,
    )


def _quoted(values: list[str]) -> str:
    from bot.config.errors import toml_value

    return ", ".join(toml_value(value) for value in values)


def _problems(values: list[str], check: Check) -> list[str]:
    problems = []
    for value in values:
        try:
            check(value)
        except ValueError as exc:
            problems.append(f"{value}: {exc}")
    return problems


def _ask(question: str, default: str, check: Check) -> str:
    """Ask until the answer passes ``check``."""
    while True:
        answer = str(typer.prompt(question, default=default)).strip()
        problems = _problems([answer], check)
        if not problems:
            return answer
        console.print(problems[0], highlight=False, markup=False)


def _ask_ids(question: str, example: str, check: Check) -> list[str]:
    """Ask for one or more comma-separated ids until every one passes ``check``."""
    while True:
        answer = str(typer.prompt(f"{question} (comma-separated, e.g. {example})"))
        values = [value.strip() for value in answer.split(",") if value.strip()]
        problems = _problems(values, check) or ([] if values else ["at least one, please"])
        if not problems:
            return values
        console.print("\n".join(problems), highlight=False, markup=False)


def _answer(ask: bool, question: str, default: str, check: Check) -> str:
    return _ask(question, default, check) if ask else default


def _check_name(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
        raise ValueError("lower-case letters, digits, - and _, e.g. weekly")
    return value


def _given_or_asked(
    given: list[str], question: str, example: str, check: Check, ask: bool, flag: str
) -> list[str]:
    if given:
        problems = _problems(given, check)
        if problems:
            fail("\n".join(problems))
        return given
    if not ask:
        fail(f"{flag} is required with --no-input (e.g. {flag} {example.split(', ')[0]})")
    return _ask_ids(question, example, check)


def init(
    name: str | None = typer.Option(None, help="Digest name (lower case)."),
    title: str = typer.Option("{name} — Issue {number}", help="Title template."),
    source: list[str] = typer.Option([], help="A channel to watch (repeat)."),
    publish_to: list[str] = typer.Option([], help="A destination (repeat)."),
    editor: list[str] = typer.Option([], help="An editor (repeat)."),
    schedule: str | None = typer.Option(None, help='When to publish, e.g. "mon 09:00".'),
    timezone: str | None = typer.Option(None, help="IANA time zone, e.g. Europe/London."),
    path: Path = typer.Option(Path("linkletter.toml"), help="Where to write the config."),
    force: bool = typer.Option(False, help="Overwrite existing files."),
    no_input: bool = typer.Option(
        False, "--no-input", help="Never ask (scripts): defaults, and the flags given."
    ),
) -> None:
    """Write a commented linkletter.toml and a .env template (questions, or flags)."""
    from bot.config import (
        ConfigError,
        check_channel,
        check_destination,
        check_editor,
        check_schedule,
        check_timezone,
        parse_config,
    )
    from bot.config.errors import toml_value

    env = path.with_name(".env.example")
    for target in (path, env):
        if target.exists() and not force:
            fail(f"{target} exists; pass --force to overwrite it")
    ask = not no_input
    text = _template(
        name=toml_value(name or _answer(ask, "Digest name (lower case)", "weekly", _check_name)),
        title=toml_value(title),
        sources=_quoted(
            _given_or_asked(
                source, "Channels to watch", SOURCE_EXAMPLE, check_channel, ask, "--source"
            )
        ),
        publish_to=_quoted(
            _given_or_asked(
                publish_to,
                "Where to publish",
                DESTINATION_EXAMPLE,
                check_destination,
                ask,
                "--publish-to",
            )
        ),
        editors=_quoted(
            _given_or_asked(
                editor, "Who are the editors", EDITOR_EXAMPLE, check_editor, ask, "--editor"
            )
        ),
        schedule=toml_value(
            schedule
            or _answer(
                ask, 'When to publish ("mon 09:00", "daily 18:30", …)', "mon 09:00", check_schedule
            )
        ),
        timezone=toml_value(timezone or _answer(ask, "IANA time zone", "UTC", check_timezone)),
    )
    try:
        parse_config(text, str(path))
    except ConfigError as exc:
        fail(f"these answers do not make a valid config:\n{exc}")
    path.write_text(text, encoding="utf-8")
    env.write_text(env_template(), encoding="utf-8")
    console.print(
        f"Wrote {path} and {env}. Next: copy {env} to .env and fill in the tokens, "
        "then `linkletter db upgrade`, `linkletter doctor` and `linkletter run`.",
        highlight=False,
        markup=False,
    )
