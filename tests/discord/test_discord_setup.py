"""Install helpers: the invite URL and `linkletter doctor` Discord checks (reliability row 8)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from adapters.discord.bot import DiscordSettings
from adapters.discord.doctor import application_id, channel_permissions, doctor
from adapters.discord.invite import PERMISSIONS_INTEGER, invite_url
from tests.discord.fake_discord import MESSAGE_CONTENT_LIMITED, FakeDiscord
from tests.discord.support import LOCKED, WATCHED


def test_invite_url_asks_for_exactly_the_documented_permissions() -> None:
    query = parse_qs(urlsplit(invite_url("344487830824943618")).query)
    assert query["client_id"] == ["344487830824943618"]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == ["277025475648"] == [str(PERMISSIONS_INTEGER)]
    granted = discord.Permissions(PERMISSIONS_INTEGER)
    assert not granted.administrator
    assert not granted.mention_everyone
    assert granted.send_messages_in_threads


async def test_doctor_all_good_on_a_readable_channel(fake: FakeDiscord) -> None:
    checks = await doctor(
        fake.token, [f"discord:{WATCHED}"], api_url=fake.api_url, gateway_url=fake.gateway_url
    )
    assert [c.ok for c in checks] == [True, True, True]


async def test_doctor_names_the_fix_for_each_problem(fake: FakeDiscord) -> None:
    """reliability row 8: a missing Message Content intent is an explicit health error."""
    fake.application["flags"] &= ~MESSAGE_CONTENT_LIMITED
    token, intent, locked = await doctor(
        fake.token, [f"discord:{LOCKED}"], api_url=fake.api_url, gateway_url=fake.gateway_url
    )
    assert token.ok
    assert not intent.ok
    assert "Message Content Intent" in intent.fix
    assert not locked.ok
    assert "missing Send Messages" in locked.reason


async def test_doctor_rejects_a_bad_token(fake: FakeDiscord) -> None:
    (check,) = await doctor(
        "nope", [f"discord:{WATCHED}"], api_url=fake.api_url, gateway_url=fake.gateway_url
    )
    assert not check.ok
    assert "Reset Token" in check.fix


def test_permission_overwrites_apply_in_discords_order() -> None:
    guild, bot, role = "1", "2", "3"
    roles = [{"id": guild, "permissions": str(1024 | 2048)}, {"id": role, "permissions": "0"}]
    overwrites = [
        {"id": guild, "type": 0, "allow": "0", "deny": "2048"},
        {"id": role, "type": 0, "allow": "2048", "deny": "1024"},
        {"id": bot, "type": 1, "allow": "1024", "deny": "0"},
    ]
    granted = channel_permissions(
        guild_id=guild,
        owner_id="9",
        roles=roles,
        member_id=bot,
        member_roles=[role],
        overwrites=overwrites,
    )
    assert granted & 2048  # role allow beats @everyone deny
    assert granted & 1024  # member allow beats role deny
    without_role = channel_permissions(
        guild_id=guild,
        owner_id="9",
        roles=roles,
        member_id=bot,
        member_roles=[],
        overwrites=overwrites,
    )
    assert not without_role & 2048


async def test_invite_url_from_the_token(fake: FakeDiscord) -> None:
    client_id = await application_id(fake.token, api_url=fake.api_url, gateway_url=fake.gateway_url)
    assert client_id == fake.application["id"]
    assert f"client_id={client_id}" in invite_url(client_id)


def test_settings_from_environment() -> None:
    settings = DiscordSettings.from_env(
        {
            "DISCORD_TOKEN": "t",
            "DISCORD_API_URL": "http://127.0.0.1:9/api/v10",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway",
        }
    )
    assert (settings.token, settings.api_url, settings.gateway_url) == (
        "t",
        "http://127.0.0.1:9/api/v10",
        "ws://127.0.0.1:9/gateway",
    )
    defaults = DiscordSettings.from_env({"DISCORD_TOKEN": "t"})
    assert (defaults.api_url, defaults.gateway_url) == (
        "https://discord.com/api/v10",
        "wss://gateway.discord.gg/",
    )


def test_shard_settings_come_in_pairs() -> None:
    settings = DiscordSettings.from_env(
        {"DISCORD_TOKEN": "t", "DISCORD_SHARD_ID": "1", "DISCORD_SHARD_COUNT": "3"}
    )
    assert (settings.shard_id, settings.shard_count) == (1, 3)
    with pytest.raises(ValueError, match="both"):
        DiscordSettings.from_env({"DISCORD_TOKEN": "t", "DISCORD_SHARD_ID": "1"})
