"""Discord as a ``bot.platform.Platform`` (the parts the CLI, the demo and capture use).

Cheap to import: the readers, the demo, the ``discord`` commands and the renderer are imported
when used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.platform import IdRules, Importer

if TYPE_CHECKING:
    import typer

    from bot.digest.model import CompiledIssue
    from bot.events import ChatEvent
    from bot.platform import DemoChat, DemoUsers, Export

IDS = IdRules(
    channel=re.compile(r"\d{1,20}"),
    editor=re.compile(r"\d{1,20}|role:\d{1,20}"),
    channel_hint="discord:<channel id> (Discord: Developer Mode, right-click -> Copy Channel ID)",
    editor_hint="discord:<user id> or discord:role:<role id>",
    channel_example="112233445566778899",
    editor_example="role:123456789012345678",
)
# Message links open only for the server's members; attachment links are signed and expire.
_HOSTS = frozenset({"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"})
_CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})


def _open_export(path: Path) -> Export:
    from adapters.discord.export import DiscordExport

    return DiscordExport(path)


class Discord:
    name = "discord"
    label = "Discord"
    ids = IDS
    env_template = """\
DISCORD_TOKEN=
# DISCORD_API_URL=https://discord.com/api/v10
# DISCORD_GATEWAY_URL=wss://gateway.discord.gg
# DISCORD_SHARD_ID=0
# DISCORD_SHARD_COUNT=1
"""

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

    def demo_chat(
        self,
        users: DemoUsers,
        serial: Iterator[int],
        sink: list[ChatEvent],
    ) -> DemoChat:
        from adapters.discord.demo import DiscordDemo

        return DiscordDemo(users, serial, sink)

    def render(self, issue: CompiledIssue) -> list[dict[str, Any]]:
        from bot.digest.render import render_discord

        return render_discord(issue)
