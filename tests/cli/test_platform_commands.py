"""The commands each platform brings through the registry (``bot.platforms``): its history
importers under ``linkletter import``, its own group (``linkletter <name> …``) and its
``digest render --format``; names, options and exit codes as before the registry."""

from __future__ import annotations

import base64

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.platforms import every, platform


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_import_commands_are_the_platforms_importers() -> None:
    commands = [importer.command for chat in every() for importer in chat.importers()]
    assert commands == ["slack-export", "discord-export"]
    code, output = cli("import", "--help")
    assert code == 0
    for command in commands:
        assert command in output
    assert "EXPORT.zip or its folder" in cli("import", "slack-export", "--help")[1]
    assert "FILE.json" in cli("import", "discord-export", "--help")[1]


def test_an_import_without_its_path_is_a_usage_error() -> None:
    code, output = cli("import", "discord-export")
    assert code == 2
    assert "Missing argument 'path'" in output


def test_invite_url_takes_a_client_id() -> None:
    code, output = cli("discord", "invite-url", "--client-id", "344487830824943618")
    assert code == 0
    assert "Permissions integer: 277025475648" in output
    assert "client_id=344487830824943618" in output


def test_invite_url_reads_the_client_id_from_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    head = base64.b64encode(b"344487830824943618").decode().rstrip("=")
    monkeypatch.setenv("DISCORD_TOKEN", f"{head}.x.y")
    code, output = cli("discord", "invite-url")
    assert code == 0
    assert "client_id=344487830824943618" in output


def test_invite_url_without_a_token_says_what_to_give(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    code, output = cli("discord", "invite-url")
    assert code == 1
    assert "give --client-id, or set DISCORD_TOKEN" in output


def test_only_platforms_with_commands_get_a_group() -> None:
    assert platform("slack").cli() is None
    assert cli("slack", "--help")[0] == 2  # no such command


def test_render_formats_are_the_platforms_then_the_documents() -> None:
    from bot.cli.digest import FORMATS
    from bot.digest.render import formats

    assert formats() == FORMATS
    code, output = cli("digest", "render", "--help")
    assert code == 0
    assert "slack|discord|matrix|markdown|html|text|json" in output
    assert cli("digest", "render", "--format", "teams")[0] == 2
