"""``linkletter doctor`` for Discord: is the token valid, the intent enabled, are the channel
permissions right? Each check is a ``Check(ok, message)``; a failing message says how to fix it.

Uses discord.py's ``HTTPClient`` (REST only, no gateway connection), so it is cheap to run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import discord
from discord.http import HTTPClient

from adapters.discord.bot import DEFAULT_API_URL, DEFAULT_GATEWAY_URL, configure_endpoints
from adapters.discord.invite import REQUIRED, invite_url, missing_permission_names
from adapters.discord.publisher import platform_id

MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19)  # GATEWAY_MESSAGE_CONTENT(_LIMITED)
ADMINISTRATOR = discord.Permissions(administrator=True).value
MEMBER_OVERWRITE = 1


class Check(NamedTuple):
    ok: bool
    message: str


async def doctor(
    token: str,
    channels: Sequence[str],
    *,
    api_url: str = DEFAULT_API_URL,
    gateway_url: str = DEFAULT_GATEWAY_URL,
) -> list[Check]:
    """Check the token, the Message Content intent and each ``discord:<id>`` channel."""
    configure_endpoints(api_url, gateway_url)
    http = HTTPClient(asyncio.get_running_loop())
    try:
        try:
            me: Any = await http.static_login(token)
        except discord.LoginFailure:
            return [
                Check(
                    False,
                    "Discord token rejected. Fix: Developer Portal -> Bot -> "
                    "Reset Token, then set DISCORD_TOKEN.",
                )
            ]
        checks = [Check(True, f"Discord token valid for bot {me['username']} ({me['id']}).")]
        application: Any = await http.application_info()
        checks.append(_intent_check(application))
        for channel in channels:
            checks.append(await _channel_check(http, str(me["id"]), channel, application["id"]))
        return checks
    finally:
        await http.close()


async def application_id(
    token: str, *, api_url: str = DEFAULT_API_URL, gateway_url: str = DEFAULT_GATEWAY_URL
) -> str:
    """The application (client) id behind a bot token, for ``linkletter discord invite-url``."""
    configure_endpoints(api_url, gateway_url)
    http = HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(token)
        application: Any = await http.application_info()
        return str(application["id"])
    finally:
        await http.close()


def _intent_check(application: dict[str, Any]) -> Check:
    if int(application.get("flags") or 0) & MESSAGE_CONTENT_FLAGS:
        return Check(True, "Message Content intent is enabled.")
    return Check(
        False,
        "Message Content intent is off: shared links would arrive empty and "
        "the gateway closes with 4014. Fix: Developer Portal -> Bot -> "
        "Privileged Gateway Intents -> enable 'Message Content Intent'.",
    )


async def _channel_check(http: HTTPClient, bot_id: str, channel: str, application_id: str) -> Check:
    channel_id = platform_id(channel)
    try:
        data: Any = await http.get_channel(channel_id)
    except (discord.NotFound, discord.Forbidden):
        return Check(
            False,
            f"{channel}: the bot cannot see this channel. Fix: invite it to "
            f"the server with {invite_url(application_id)} and give it access.",
        )
    guild_id = str(data["guild_id"])
    guild: Any = await http.get_guild(guild_id, with_counts=False)
    member: Any = await http.get_member(guild_id, bot_id)
    granted = channel_permissions(
        guild_id=guild_id,
        owner_id=str(guild["owner_id"]),
        roles=guild["roles"],
        member_id=bot_id,
        member_roles=member["roles"],
        overwrites=data.get("permission_overwrites") or [],
    )
    missing = missing_permission_names(granted)
    name = f"{channel} (#{data.get('name')})"
    if not missing:
        return Check(True, f"{name}: permissions OK.")
    return Check(
        False,
        f"{name}: missing {', '.join(missing)}. Fix: in the channel's "
        "settings -> Permissions, allow these for the bot's role.",
    )


def channel_permissions(
    *,
    guild_id: str,
    owner_id: str,
    roles: Iterable[dict[str, Any]],
    member_id: str,
    member_roles: Iterable[str],
    overwrites: Iterable[dict[str, Any]],
) -> int:
    """Discord's documented permission computation: base role permissions, then the channel's
    @everyone, role and member overwrites in that order."""
    if member_id == owner_id:
        return REQUIRED.value | ADMINISTRATOR
    role_ids = {str(r) for r in member_roles}
    perms = 0
    for role in roles:
        if str(role["id"]) == guild_id or str(role["id"]) in role_ids:
            perms |= int(role["permissions"])
    if perms & ADMINISTRATOR:
        return perms | REQUIRED.value
    by_id = {str(o["id"]): o for o in overwrites}
    everyone = by_id.get(guild_id)
    if everyone is not None:
        perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
    allow = deny = 0
    for role_id in role_ids:
        overwrite = by_id.get(role_id)
        if overwrite is not None and overwrite.get("type") != MEMBER_OVERWRITE:
            allow |= int(overwrite["allow"])
            deny |= int(overwrite["deny"])
    perms = (perms & ~deny) | allow
    own = by_id.get(member_id)
    if own is not None and own.get("type") == MEMBER_OVERWRITE:
        perms = (perms & ~int(own["deny"])) | int(own["allow"])
    return perms
