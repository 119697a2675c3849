"""Discord as a ``bot.platform.Platform``: cheap to import, discord.py loads inside the methods."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.platform import Check, IdRules, Importer

if TYPE_CHECKING:
    import typer

    from adapters.discord.connection import DiscordConnection
    from bot.config import Config
    from bot.digest.model import CompiledIssue
    from bot.events import ChatEvent
    from bot.platform import DemoChat, DemoUsers, Export
    from bot.platform_settings import PlatformSettings
    from bot.ports import ChatPublisher, Core

CONTENT_LIMIT = 2_000  # characters in one message's content


# Message links open only for the server's members; attachment links are signed and expire.
_HOSTS = frozenset({"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"})
_CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})


def _open_export(path: Path) -> Export:
    from adapters.discord.export import DiscordExport

    return DiscordExport(path)


class Discord:
    name = "discord"
    label = "Discord"
    ids = IdRules(
        channel=re.compile(r"\d{1,20}"),
        editor=re.compile(r"\d{1,20}|role:\d{1,20}"),
        channel_forms=("<channel id>",),
        editor_forms=("<user id>", "role:<role id>"),
        channel_hint="Discord: Developer Mode, right-click -> Copy Channel ID",
        editor_hint="",
        channel_example="112233445566778899",
        editor_example="role:123456789012345678",
        group=re.compile(r"role:\d{1,20}"),
    )
    env_template = """\
DISCORD_TOKEN=
# DISCORD_API_URL=https://discord.com/api/v10
# DISCORD_GATEWAY_URL=wss://gateway.discord.gg
# DISCORD_SHARD_ID=0
# DISCORD_SHARD_COUNT=1
"""
    token_variable = "DISCORD_TOKEN"  # noqa: S105 - the variable's name, not a secret

    @property
    def settings_model(self) -> type[PlatformSettings]:
        from bot.platform_settings import PlatformSettings

        return PlatformSettings

    quiet_loggers = ("discord",)

    def connect(
        self, core: Core, config: Config, channels: list[str], env: Mapping[str, str]
    ) -> DiscordConnection:
        """The gateway client; it watches every channel the config names (read from ``core``)."""
        from adapters.discord.bot import DiscordSettings, LinkletterDiscord
        from adapters.discord.connection import DiscordConnection

        settings = DiscordSettings.from_env(env)
        return DiscordConnection(LinkletterDiscord(core, settings), settings)

    def publisher(self, env: Mapping[str, str]) -> AbstractAsyncContextManager[ChatPublisher]:
        return self._publisher(env)

    @asynccontextmanager
    async def _publisher(self, env: Mapping[str, str]) -> AsyncIterator[ChatPublisher]:
        """REST only (no gateway): log in to learn the bot's own id, log out when done."""
        import asyncio

        from discord.http import HTTPClient

        from adapters.discord.bot import DiscordSettings, configure_endpoints
        from adapters.discord.publisher import DiscordPublisher

        settings = DiscordSettings.from_env(env)
        configure_endpoints(settings.api_url, settings.gateway_url)
        http = HTTPClient(asyncio.get_running_loop())
        try:
            me = await http.static_login(settings.token)
            yield DiscordPublisher(http, bot_user_id=str(me["id"]))
        finally:
            await http.close()

    def render(self, issue: CompiledIssue) -> list[dict[str, Any]]:
        from adapters.discord.render import render_discord

        return render_discord(issue)

    def text_message(self, text: str) -> dict[str, Any]:
        return {"content": text[:CONTENT_LIMIT], "allowed_mentions": {"parse": []}}

    async def doctor(self, config: Config, env: Mapping[str, str]) -> list[Check]:
        from adapters.discord.bot import DiscordSettings
        from adapters.discord.doctor import doctor
        from bot.app.doctor import platform_ids

        try:
            settings = DiscordSettings.from_env(env)
        except ValueError as exc:
            return [Check(self.name, False, str(exc), "fix the DISCORD_* variables")]
        return await doctor(
            settings.token,
            platform_ids(config, self.name, editors=False),
            platform_ids(config, self.name, channels=False),
            api_url=settings.api_url,
            gateway_url=settings.gateway_url,
        )

    def position_key(self, position: str) -> int:
        from adapters.discord.translate import snowflake_key

        return snowflake_key(position)

    def importers(self) -> tuple[Importer, ...]:
        return (
            Importer(
                command="discord-export",
                help="A DiscordChatExporter JSON export of one channel or thread.",
                path_help="FILE.json",
                open=_open_export,
            ),
        )

    def cli(self) -> typer.Typer | None:
        from adapters.discord.cli import app

        return app

    def members_only(self, host: str, path: str) -> bool:
        """Message links (``discord.com/channels/…``) and attachments (``…/attachments/…``)."""
        return (host in _HOSTS and path.startswith("/channels/")) or (
            host in _CDN_HOSTS and path.startswith("/attachments/")
        )

    def demo_chat(self, users: DemoUsers, serial: Iterator[int], sink: list[ChatEvent]) -> DemoChat:
        from adapters.discord.demo import DiscordDemo

        return DiscordDemo(users, serial, sink)
