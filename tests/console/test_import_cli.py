"""``linkletter import`` as a user runs it: warnings, the closing summary, and the progress bar
only on a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot.cli import app, importing
from bot.cli import imports as import_cli

FIXTURES = Path(__file__).parents[1] / "fixtures" / "console"
CONFIG = """
[[digest]]
name = "weekly"
sources = ["discord:1506019498094891120", "slack:G061A0PRV", "slack:C0NOTHERE"]
editors = ["discord:1506020000000000002"]
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINKLETTER_CONFIG", raising=False)
    monkeypatch.setenv("LINKLETTER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    (tmp_path / "linkletter.toml").write_text(CONFIG)
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["import", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_discord_import_names_what_it_skipped_and_sums_up(workdir: Path) -> None:
    code, out, err = run("discord-export", str(FIXTURES / "dce" / "dce-links.json"))
    assert code == 0, err
    assert "warning: dce-links.json: message '1506021000000000004': author is not an object" in err
    assert out.splitlines() == [
        "dce-links.json: 8 messages read, 3 links captured, 3 items new, 0 merged into existing "
        "items; 3 messages skipped (2 unreadable, 1 system (GuildMemberJoin)).",
        "8 events, 8 new, 0 already known; 3 items touched.",
    ]
    assert "━" not in out + err  # no progress bar when the output is not a terminal


def test_a_slack_import_warns_of_a_source_missing_from_the_export(workdir: Path) -> None:
    code, out, err = run("slack-export", str(FIXTURES / "slack-private"))
    assert code == 0, err
    assert "warning: slack:C0NOTHERE is a source but is not in this export" in err
    assert out.startswith("slack-private: 7 messages read, 2 links captured, 2 items new")


def test_a_thread_export_is_imported_for_its_parent(workdir: Path) -> None:
    code, out, _err = run("discord-export", str(FIXTURES / "dce" / "ferry-thread.json"))
    assert code == 0
    assert "1 event, 1 new, 0 already known" in out  # was "0 in watched channels"


def test_a_wrong_file_is_one_clear_error(workdir: Path) -> None:
    code, _out, err = run("discord-export", str(FIXTURES / "slack-private" / "users.json"))
    assert code == 1
    assert "is not a DiscordChatExporter JSON export" in err
    assert "Traceback" not in err


def test_a_terminal_gets_a_progress_bar(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(import_cli, "console", terminal)
    monkeypatch.setattr(importing, "console", terminal)  # the progress bar's console
    code, _out, err = run("discord-export", str(FIXTURES / "dce" / "ferry-general.json"))
    assert code == 0, err
    shown = screen.getvalue()
    assert "Importing ferry-general.json" in shown
    assert "100%" in shown
    assert "11 messages" in shown
