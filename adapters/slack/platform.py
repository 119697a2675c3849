"""Slack as a ``bot.platform.Platform`` (the parts the CLI, the demo and capture use).

Cheap to import: the readers, the demo and the renderer are imported when used.
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
    channel=re.compile(r"[CG][A-Z0-9]+"),
    editor=re.compile(r"[UW][A-Z0-9]+"),
    channel_hint="slack:C… or slack:G… (Slack: the channel's About tab -> Channel ID)",
    editor_hint="slack:U… or slack:W… (Slack: the profile's ⋮ -> Copy member ID)",
    channel_example="C0123ABCD",
    editor_example="U0123ABCD",
)
# Files, message permalinks, canvases and the web client open only for the workspace's members.
_MEMBERS_HOSTS = frozenset({"app.slack.com", "files.slack.com"})
_MEMBER_PATHS = ("/archives/", "/files/", "/docs/", "/canvas/", "/team/", "/messages/")


def _open_export(path: Path) -> Export:
    from adapters.slack.export import SlackExport

    return SlackExport(path)


class Slack:
    name = "slack"
    label = "Slack"
    ids = IDS
    env_template = """\
SLACK_BOT_TOKEN=
SLACK_SIGNING_SECRET=
# Socket Mode (no public URL needed): the app-level token, xapp-…
SLACK_APP_TOKEN=
# SLACK_API_URL=https://slack.com/api/
"""

    def importers(self) -> tuple[Importer, ...]:
        return (
            Importer(
                command="slack-export",
                help="A Slack workspace export (channels.json, groups.json, users.json, "
                "<channel>/<date>.json).",
                path_help="EXPORT.zip or its folder",
                open=_open_export,
            ),
        )

    def cli(self) -> typer.Typer | None:
        return None

    def members_only(self, host: str, path: str) -> bool:
        """``<team>.slack.com/files/…``, ``/archives/…``, ``app.slack.com``, ``files.slack.com``."""
        workspace = host == "slack.com" or host.endswith(".slack.com")
        return host in _MEMBERS_HOSTS or (workspace and path.startswith(_MEMBER_PATHS))

    def demo_chat(
        self,
        users: DemoUsers,
        serial: Iterator[int],
        sink: list[ChatEvent],
    ) -> DemoChat:
        from adapters.slack.demo import SlackDemo

        return SlackDemo(users, serial, sink)

    def render(self, issue: CompiledIssue) -> list[dict[str, Any]]:
        from bot.digest.render import render_slack

        return render_slack(issue)
