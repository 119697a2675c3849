"""The command table: the text parser every text-command platform uses, the help written from
the table, and who may run what (on a real database)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.curate.commands import COMMANDS, REFUSAL, listed, parse_command_text
from bot.ports import CommandRequest
from storage.db import Database
from tests.core.helpers import ANN, EDITOR, EDITOR_ONLY, ROLE_EDITOR, help_names, service


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("add https://x.org  because", ("add", "https://x.org  because")),
        ("  QUEUE ", ("queue", "")),
        ("why 12 it is good", ("why", "12 it is good")),
        ("mine", ("mine", "")),
        ("approve 7", ("approve", "7")),
        ("", ("help", "")),
        ("unknown thing", ("help", "")),
    ],
)
def test_parse_command_text(text: str, parsed: tuple[str, str]) -> None:
    assert parse_command_text(text) == parsed


def test_summaries_fit_a_discord_description() -> None:
    assert all(0 < len(command.summary) <= 100 for command in COMMANDS.values())


async def test_help_names_every_listed_command_and_no_other(db: Database) -> None:
    reply = await service(db).command(CommandRequest("help", "", ANN, "slack:C1", "cli"))
    assert help_names(reply.text) == {command.name for command in listed()}
    assert "mine" in help_names(reply.text)


async def test_an_unknown_name_gets_the_help(db: Database) -> None:
    core = service(db)
    unknown = await core.command(CommandRequest("frobnicate", "", ANN, "slack:C1", "cli"))
    assert unknown == await core.command(CommandRequest("help", "", ANN, "slack:C1", "cli"))


@pytest.mark.parametrize("name", EDITOR_ONLY)
async def test_editor_commands_refuse_everyone_else(db: Database, name: str) -> None:
    assert EDITOR_ONLY == ["queue", "preview", "publish", "intro", "desk"]
    core = service(db)
    refused = await core.command(CommandRequest(name, "", ANN, "slack:C1", "slack"))
    assert refused.text == REFUSAL
    for editor in (EDITOR, ROLE_EDITOR):  # by id, and by role
        allowed = await core.command(CommandRequest(name, "", editor, "slack:C1", "slack"))
        assert allowed.text != REFUSAL


def test_the_commands_do_not_import_the_service() -> None:
    """The service hands itself to the commands (``Curation``): no import cycle between them."""
    probe = "import sys, bot.curate.commands; print('bot.curate.service' in sys.modules)"
    result = subprocess.run(  # noqa: S603 - our interpreter, a fixed program
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
