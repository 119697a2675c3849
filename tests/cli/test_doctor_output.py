"""``linkletter doctor`` as a person and a script read it: a real subprocess against the
Discord protocol fake."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.discord.conftest import fake  # noqa: F401 (the fixture)
from tests.discord.fake_discord import FakeDiscord

UNKNOWN_CHANNEL = "999999999999999999"


async def _doctor(fake: FakeDiscord, tmp_path: Path, *args: str) -> tuple[int, str]:  # noqa: F811
    (tmp_path / "linkletter.toml").write_text(
        f'[[digest]]\nname = "weekly"\nsources = ["discord:{UNKNOWN_CHANNEL}"]\n'
    )
    env = os.environ | {
        "LINKLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 'doctor.db'}",
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "COLUMNS": "50",  # a narrow terminal: long lines must not break the invite URL
    }
    env.pop("SLACK_BOT_TOKEN", None)
    env.pop("LINKLETTER_CONFIG", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return await process.wait(), output.decode()


async def test_doctor_prints_the_invite_url_whole_on_its_own_line(
    fake: FakeDiscord,  # noqa: F811
    tmp_path: Path,
) -> None:
    code, output = await _doctor(fake, tmp_path)
    assert code == 1
    lines = output.splitlines()
    assert any(line.startswith("✓ config: ") for line in lines)
    assert any(line.startswith("✗ database: the database file") for line in lines)
    [url] = [line.strip() for line in lines if "discord.com/oauth2" in line]
    assert url.startswith("https://discord.com/oauth2/authorize?client_id=")
    assert "permissions=" in url
    assert "cannot see this channel" in output


async def test_doctor_json_lists_each_check(fake: FakeDiscord, tmp_path: Path) -> None:  # noqa: F811
    code, output = await _doctor(fake, tmp_path, "--json")
    assert code == 1
    checks = json.loads(output)
    assert [c["name"] for c in checks][:2] == ["config", "database"]
    assert checks[0] == {
        "name": "config",
        "ok": True,
        "reason": "linkletter.toml is valid",
        "fix": "",
    }
    assert checks[1]["fix"] == "check LINKLETTER_DATABASE_URL"
    discord_checks = [c for c in checks if c["name"].startswith("discord")]
    assert discord_checks
    assert any("oauth2/authorize" in c["reason"] + c["fix"] for c in discord_checks)
    assert not all(c["ok"] for c in checks)
