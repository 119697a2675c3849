"""``linkletter doctor`` as a subprocess against the Slack and Discord protocol fakes and a
closed port: every check ends in ✓ or ✗ with the reason (and the fix), never a traceback."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.discord.fake_discord import FakeDiscord
from tests.discord.support import EDITOR, EDITOR_ROLE, WATCHED
from tests.enrich.fake_wayback import fake_wayback
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack

SLACK_CHANNEL = "C0WATCHED"
SLACK_EDITOR = "UEDITOR"
CONFIG = """\
[web]
host = "{host}"
{web}

[[digest]]
name = "weekly"
sources = [{sources}]
publish_to = [{publish_to}]
editors = [{editors}]
"""


def write_config(
    workdir: Path,
    *,
    sources: str = f'"slack:{SLACK_CHANNEL}"',
    publish_to: str = '"file:./issues"',
    editors: str = f'"slack:{SLACK_EDITOR}"',
    host: str = "127.0.0.1",
    web: str = "",
) -> None:
    text = CONFIG.format(
        sources=sources, publish_to=publish_to, editors=editors, host=host, web=web
    )
    (workdir / "linkletter.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    Database.connect(f"sqlite:///{tmp_path / 'x.db'}").upgrade()
    write_config(tmp_path)
    return tmp_path


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel(SLACK_CHANNEL, "links")
        yield fake


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


def closed_port_url(path: str) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


async def doctor(workdir: Path, **env: str) -> tuple[int, str]:
    """Run ``linkletter doctor`` in ``workdir`` with only ``env`` as platform settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        cwd=workdir,
        env={**base, "LINKLETTER_DATABASE_URL": f"sqlite:///{workdir / 'x.db'}", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    text = output.decode()
    assert "Traceback" not in text
    assert process.returncode is not None
    return process.returncode, text


def marked(output: str) -> list[str]:
    """The check lines: each starts with ✓ or ✗ (fix and URL lines are indented under them)."""
    lines = [line for line in output.splitlines() if not line.startswith("    ")]
    assert all(line[:1] in "✓✗" for line in lines), output
    return lines


async def test_healthy_socket_mode_slack_install_passes(workdir: Path, slack: FakeSlack) -> None:
    code, output = await doctor(
        workdir, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=slack.api_url
    )
    lines = marked(output)
    assert code == 0, output
    assert all(line.startswith("✓") for line in lines)
    assert "✓ slack events: Socket Mode: the app token opens a connection" in lines
    assert f"✓ slack:{SLACK_CHANNEL}: #links: the bot is a member" in lines
    assert f"✓ slack:{SLACK_EDITOR}: editor found; previews can reach them by DM" in lines
    assert slack.connections_opened == 1


async def test_unreachable_slack_is_a_failed_check(workdir: Path) -> None:
    url = closed_port_url("/api/")
    code, output = await doctor(workdir, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=url)
    assert code == 1
    failed = [line for line in marked(output) if line.startswith("✗")]
    assert failed == [failed[0]]
    assert failed[0].startswith(f"✗ slack: cannot reach the Slack API at {url} (")
    assert "fix: check the network and any proxy; SLACK_API_URL" in output


async def test_signing_secret_without_public_url_is_flagged(
    workdir: Path, slack: FakeSlack
) -> None:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url}
    code, output = await doctor(workdir, SLACK_SIGNING_SECRET="s3cret", **env)
    assert code == 1
    assert "✗ slack events: SLACK_SIGNING_SECRET is set (HTTP events) but [web] public_url" in (
        output
    )
    write_config(workdir, web='public_url = "https://links.example.com/"')
    code, output = await doctor(workdir, SLACK_SIGNING_SECRET="s3cret", **env)
    assert code == 0, output
    assert "Request URL must be https://links.example.com/slack/events" in output
    code, output = await doctor(workdir, **env)
    assert code == 1
    assert "✗ slack events: no way for events to arrive" in output


async def test_missing_channel_and_rejected_app_token(workdir: Path, slack: FakeSlack) -> None:
    write_config(workdir, sources=f'"slack:{SLACK_CHANNEL}", "slack:C0GONE"')
    code, output = await doctor(
        workdir,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN="xapp-wrong",
        SLACK_API_URL=slack.api_url,
    )
    assert code == 1
    failed = [line for line in marked(output) if line.startswith("✗")]
    assert failed == [
        "✗ slack events: Socket Mode: SLACK_APP_TOKEN rejected (invalid_auth)",
        "✗ slack:C0GONE: cannot read the channel (channel_not_found)",
    ]


async def test_digest_without_destination_or_editor_and_open_web(workdir: Path) -> None:
    write_config(workdir, sources='"discord:1"', publish_to="", editors="", host="0.0.0.0")  # noqa: S104
    code, output = await doctor(workdir)
    assert code == 1
    failed = [line for line in marked(output) if line.startswith("✗")]
    assert failed == [
        "✗ digest weekly: publish_to is empty: issues would be published nowhere",
        "✗ digest weekly: editors is empty: nobody can approve, every ✅ is only a vote",
        '✗ web: host = "0.0.0.0" with private = false: the archive and /metrics are open on '
        "every network interface",
        "✗ discord: DISCORD_TOKEN is not set but the config names Discord ids (discord:1)",
    ]
    write_config(workdir, sources='"discord:1"', host="0.0.0.0", web="private = true")  # noqa: S104
    _, output = await doctor(workdir)
    assert "✓ web: serves on 0.0.0.0:8080 (private)" in output


async def test_discord_role_editor_without_discord_configured(workdir: Path) -> None:
    write_config(workdir, editors=f'"slack:{SLACK_EDITOR}", "discord:role:{EDITOR_ROLE}"')
    code, output = await doctor(workdir)
    assert code == 1
    assert (
        f"✗ discord: DISCORD_TOKEN is not set but the config names Discord ids "
        f"(discord:role:{EDITOR_ROLE})"
    ) in output


async def test_discord_channels_editors_and_roles(workdir: Path, discord_fake: FakeDiscord) -> None:
    write_config(
        workdir,
        sources=f'"discord:{WATCHED}"',
        editors=f'"discord:{EDITOR}", "discord:role:{EDITOR_ROLE}", "discord:role:42", "discord:7"',
    )
    code, output = await doctor(
        workdir,
        DISCORD_TOKEN=discord_fake.token,
        DISCORD_API_URL=discord_fake.api_url,
        DISCORD_GATEWAY_URL=discord_fake.gateway_url,
    )
    assert code == 1
    lines = marked(output)
    assert "✓ discord intents: Message Content intent is enabled" in lines
    assert f"✓ discord:{WATCHED}: #test2: permissions OK" in lines
    assert any(line.startswith(f"✓ discord:{EDITOR}: member of ") for line in lines)
    assert any(line.startswith(f"✓ discord:role:{EDITOR_ROLE}: role @") for line in lines)
    assert [line for line in lines if line.startswith("✗")] == [
        "✗ discord:7: not a member of the servers of the configured channels",
        "✗ discord:role:42: no such role in the servers of the configured channels",
    ]


async def test_unreachable_discord_is_a_failed_check(workdir: Path) -> None:
    write_config(workdir, sources='"discord:1"', editors='"discord:2"')
    url = closed_port_url("/api/v10")
    code, output = await doctor(workdir, DISCORD_TOKEN="x.y.z", DISCORD_API_URL=url)
    assert code == 1
    failed = [line for line in marked(output) if line.startswith("✗")]
    assert len(failed) == 1
    assert failed[0].startswith(f"✗ discord: cannot reach the Discord API at {url} (")


async def test_unreachable_database_is_a_failed_check(workdir: Path) -> None:
    code, output = await doctor(
        workdir, LINKLETTER_DATABASE_URL=closed_port_url("/db").replace("http", "postgresql")
    )
    assert code == 1
    assert "✗ database: " in output
    assert "fix: check LINKLETTER_DATABASE_URL" in output


async def test_the_archive_endpoint_is_checked_when_enabled(workdir: Path) -> None:
    write_config(workdir, sources="", editors="", web="\n[archive]\nenabled = true")
    async with fake_wayback() as archive:
        code, output = await doctor(workdir, LINKLETTER_ARCHIVE_URL=archive.save_url)
    assert f"✓ archive: {archive.save_url} answers (HTTP 200)" in marked(output)
    assert archive.saved == []  # nothing was asked to be saved
    closed = closed_port_url("/save/")
    code, output = await doctor(workdir, LINKLETTER_ARCHIVE_URL=closed)
    assert code == 1
    [failed] = [line for line in marked(output) if line.startswith("✗ archive")]
    assert failed.startswith(f"✗ archive: cannot reach {closed} (")
    assert "LINKLETTER_ARCHIVE_URL overrides [archive] save_url" in output
    write_config(workdir, sources="", editors="")
    _code, output = await doctor(workdir, LINKLETTER_ARCHIVE_URL=closed)
    assert "archive" not in output  # off: never contacted
