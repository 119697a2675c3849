"""``linkletter init``: questions with examples and per-platform id checks, flags for scripts,
a digest that publishes somewhere with editors, the safe web default, no silent overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import load_config


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINKLETTER_CONFIG", raising=False)
    return tmp_path


def init(*args: str, answers: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(app, ["init", *args], input=answers)
    return result.exit_code, result.output


def test_questions_reask_until_each_id_fits_its_platform(scratch: Path) -> None:
    answers = [
        "Weekly",  # upper case: asked again
        "team",
        "slack:general",  # a channel name, not its id
        "slack:C0123ABCD, discord:112233445566778899",
        "file:./issues, slack:C0456EFGH",
        "slack:C0123ABCD",  # a channel is not an editor
        "slack:U0123ABCD, discord:role:123456789012345678",
        "mon 25:00",
        "thu 16:30",
        "Mars/Olympus",
        "Europe/London",
    ]
    code, output = init(answers="\n".join(answers) + "\n")
    assert code == 0, output
    assert "slack:general: not a channel id: write slack:C…" in output
    assert "slack:C0123ABCD: not an editor id" in output
    assert "mon 25:00: not a schedule (25:00 is not a time of day)" in output
    assert "Mars/Olympus: not an IANA time zone name" in output
    assert "e.g. slack:U0123ABCD, discord:role:123456789012345678" in output
    config = load_config("linkletter.toml")
    digest = config.digest()
    assert digest.name == "team"
    assert digest.sources == ["slack:C0123ABCD", "discord:112233445566778899"]
    assert digest.publish_to == ["file:./issues", "slack:C0456EFGH"]
    assert digest.editors == ["slack:U0123ABCD", "discord:role:123456789012345678"]
    assert (digest.schedule, digest.timezone) == ("thu 16:30", "Europe/London")
    assert config.web.host == "127.0.0.1"
    assert (scratch / ".env.example").is_file()


def test_flags_for_scripts_never_ask(scratch: Path) -> None:
    code, output = init(
        "--no-input",
        "--source",
        "discord:1",
        "--publish-to",
        "discord:2",
        "--editor",
        "discord:3",
        "--editor",
        "slack:W0123",
    )
    assert code == 0, output
    digest = load_config("linkletter.toml").digest()
    assert (digest.name, digest.schedule, digest.timezone) == ("weekly", "mon 09:00", "UTC")
    assert digest.editors == ["discord:3", "slack:W0123"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "slack:C1", "--editor", "slack:U1"], "--publish-to is required"),
        (["--source", "slack:C1", "--publish-to", "file:x"], "--editor is required"),
        (["--publish-to", "file:x", "--editor", "slack:U1"], "--source is required"),
        (
            ["--source", "slack:C1", "--publish-to", "file:x", "--editor", "discord:role:x"],
            "discord:role:x: not an editor id",
        ),
        (
            [
                "--source",
                "slack:C1",
                "--publish-to",
                "file:x",
                "--editor",
                "slack:U1",
                "--schedule",
                "every monday at 9",
            ],
            'digest.schedule = "every monday at 9": not a schedule',
        ),
    ],
)
def test_bad_or_missing_flags_write_nothing(scratch: Path, args: list[str], message: str) -> None:
    code, output = init("--no-input", *args)
    assert code == 1
    assert message in output
    assert not (scratch / "linkletter.toml").exists()


def test_existing_files_are_kept_without_force(scratch: Path) -> None:
    flags = ["--no-input", "--source", "slack:C1", "--publish-to", "file:x", "--editor", "slack:U1"]
    (scratch / "linkletter.toml").write_text("# ours\n")
    code, output = init(*flags)
    assert code == 1
    assert "linkletter.toml exists; pass --force to overwrite it" in output
    assert (scratch / "linkletter.toml").read_text() == "# ours\n"
    assert init(*flags, "--force")[0] == 0
    assert load_config("linkletter.toml").digest().sources == ["slack:C1"]
