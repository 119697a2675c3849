"""``linkletter doctor`` for Discord: is the API reachable, the token valid, the Message
Content intent enabled, are the channel permissions right, does each editor (user or role)
exist in the servers of the configured channels? Each check is a ``bot.app.doctor.Check``.

Uses discord.py's ``HTTPClient`` (REST only, no gateway connection), so it is cheap to run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient

from adapters.discord.bot import DEFAULT_API_URL, DEFAULT_GATEWAY_URL, configure_endpoints
from adapters.discord.invite import REQUIRED, invite_url, missing_permission_names
from adapters.discord.publisher import platform_id
from bot.app.doctor import unreachable
from bot.platform import Check

MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19)  # GATEWAY_MESSAGE_CONTENT(_LIMITED)
ADMINISTRATOR = discord.Permissions(administrator=True).value
MEMBER_OVERWRITE = 1
UNREACHABLE = (aiohttp.ClientError, OSError, TimeoutError, discord.HTTPException)
ROLE = "discord:role:"


async def doctor(
    token: str,
    channels: Sequence[str],
    editors: Sequence[str] = (),
    *,
    api_url: str = DEFAULT_API_URL,
    gateway_url: str = DEFAULT_GATEWAY_URL,
) -> list[Check]:
    """Check the token, the Message Content intent, each ``discord:<id>`` channel and editor.

    A network failure or an unexpected API answer ends the list with a failed check; it is
    never raised.
    """
    configure_endpoints(api_url, gateway_url)
    http = HTTPClient(asyncio.get_running_loop())
    checks: list[Check] = []
    try:
        await _collect(http, token, channels, editors, checks)
    except UNREACHABLE as error:
        checks.append(unreachable("discord", api_url, error, "DISCORD_API_URL"))
    finally:
        await http.close()
    return checks


async def _collect(
    http: HTTPClient,
    token: str,
    channels: Sequence[str],
    editors: Sequence[str],
    checks: list[Check],
) -> None:
    try:
        me: Any = await http.static_login(token)
    except discord.LoginFailure:
        checks.append(
            Check(
                "discord token",
                False,
                "rejected by Discord",
                "Developer Portal -> Bot -> Reset Token, then set DISCORD_TOKEN",
            )
        )
        return
    checks.append(Check("discord token", True, f"valid for bot {me['username']} ({me['id']})"))
    application: Any = await http.application_info()
    checks.append(_intent_check(application))
    guilds: dict[str, Any] = {}
    for channel in channels:
        check, guild_id = await _channel_check(http, str(me["id"]), channel, application["id"])
        checks.append(check)
        if guild_id and guild_id not in guilds:
            guilds[guild_id] = await http.get_guild(guild_id, with_counts=False)
    for editor in editors:
        checks.append(await _editor_check(http, editor, guilds))


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
    """Linkletter asks for guilds, guild messages, guild reactions (not privileged) and
    message content, the one privileged intent, which must be switched on in the portal."""
    name = "discord intents"
    if int(application.get("flags") or 0) & MESSAGE_CONTENT_FLAGS:
        return Check(name, True, "Message Content intent is enabled")
    return Check(
        name,
        False,
        "Message Content intent is off: shared links would arrive empty and the gateway "
        "closes with 4014",
        "Developer Portal -> Bot -> Privileged Gateway Intents -> enable 'Message Content Intent'",
    )


async def _channel_check(
    http: HTTPClient, bot_id: str, channel: str, application_id: str
) -> tuple[Check, str | None]:
    """The channel's check and its server's id (None when the bot cannot see it)."""
    channel_id = platform_id(channel)
    try:
        data: Any = await http.get_channel(channel_id)
    except (discord.NotFound, discord.Forbidden):
        return (
            Check(
                channel,
                False,
                "the bot cannot see this channel",
                f"invite it to the server with {invite_url(application_id)} and give it access",
            ),
            None,
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
    name = f"#{data.get('name')}"
    if not missing:
        return Check(channel, True, f"{name}: permissions OK"), guild_id
    return (
        Check(
            channel,
            False,
            f"{name}: missing {', '.join(missing)}",
            "in the channel's settings -> Permissions, allow these for the bot's role",
        ),
        guild_id,
    )


async def _editor_check(http: HTTPClient, editor: str, guilds: dict[str, Any]) -> Check:
    """A role must exist, a user must be a member, in a server of the configured channels."""
    if not guilds:
        return Check(
            editor,
            False,
            "cannot check: no configured Discord channel is visible to the bot",
            "fix the channel checks above first",
        )
    if editor.startswith(ROLE):
        role_id = editor.removeprefix(ROLE)
        for guild in guilds.values():
            for role in guild["roles"]:
                if str(role["id"]) == role_id:
                    return Check(editor, True, f"role @{role['name']} in {guild['name']}")
        return Check(
            editor,
            False,
            "no such role in the servers of the configured channels",
            "Server Settings -> Roles -> right-click the role -> Copy Role ID (Developer Mode)",
        )
    user_id = platform_id(editor)
    for guild_id, guild in guilds.items():
        try:
            await http.get_member(guild_id, user_id)
        except (discord.NotFound, discord.Forbidden):
            continue
        return Check(editor, True, f"member of {guild['name']}")
    return Check(
        editor,
        False,
        "not a member of the servers of the configured channels",
        "right-click the user -> Copy User ID (Developer Mode) and use discord:<that id>",
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
