"""Slack as a ``bot.platform.Platform``: cheap to import, the SDK loads inside the methods."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.platform import Check, IdRules, Importer

if TYPE_CHECKING:
    import typer
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.config import SlackConfig
    from adapters.slack.connection import SlackAdapter
    from bot.config import Config
    from bot.digest.model import CompiledIssue
    from bot.events import ChatEvent
    from bot.platform import DemoChat, DemoUsers, Export
    from bot.ports import ChatPublisher, Core


# Files, message permalinks, canvases and the web client open only for the workspace's members.
_MEMBERS_HOSTS = frozenset({"app.slack.com", "files.slack.com"})
_MEMBER_PATHS = ("/archives/", "/files/", "/docs/", "/canvas/", "/team/", "/messages/")


def _open_export(path: Path) -> Export:
    from adapters.slack.export import SlackExport

    return SlackExport(path)


class Slack:
    name = "slack"
    label = "Slack"
    ids = IdRules(
        channel=re.compile(r"[CG][A-Z0-9]+"),
        editor=re.compile(r"[UW][A-Z0-9]+"),
        channel_forms=("C…", "G…"),
        editor_forms=("U…", "W…"),
        channel_hint="Slack: the channel's About tab -> Channel ID",
        editor_hint="Slack: the profile's ⋮ -> Copy member ID",
        channel_example="C0123ABCD",
        editor_example="U0123ABCD",
    )
    env_template = """\
SLACK_BOT_TOKEN=
SLACK_SIGNING_SECRET=
# Socket Mode (no public URL needed): the app-level token, xapp-…
SLACK_APP_TOKEN=
# SLACK_API_URL=https://slack.com/api/
"""
    token_variable = "SLACK_BOT_TOKEN"  # noqa: S105 - the variable's name, not a secret

    @property
    def settings_model(self) -> type[SlackConfig]:
        from adapters.slack.config import SlackConfig

        return SlackConfig

    quiet_loggers = ("slack_bolt", "slack_sdk")

    def connect(
        self, core: Core, config: Config, channels: list[str], env: Mapping[str, str]
    ) -> SlackAdapter:
        from adapters.slack.connection import SlackAdapter
        from adapters.slack.settings import SlackSettings

        table = config.platform_settings(self.name, self.settings_model)
        settings = SlackSettings.from_env(env, backfill_interval=table.backfill_interval_seconds)
        return SlackAdapter(core, settings, channels=channels)

    def publisher(self, env: Mapping[str, str]) -> AbstractAsyncContextManager[ChatPublisher]:
        return self._publisher(env)

    @asynccontextmanager
    async def _publisher(self, env: Mapping[str, str]) -> AsyncIterator[ChatPublisher]:
        from adapters.slack.publisher import SlackPublisher

        yield SlackPublisher(_client(env))

    def render(self, issue: CompiledIssue) -> list[dict[str, Any]]:
        from adapters.slack.render import render_slack

        return render_slack(issue)

    def text_message(self, text: str) -> dict[str, Any]:
        return {"text": text, "unfurl_links": False, "unfurl_media": False}

    async def doctor(self, config: Config, env: Mapping[str, str]) -> list[Check]:
        from adapters.slack.doctor import EventSettings, run_checks
        from bot.app.doctor import platform_ids

        events = EventSettings(
            app_token=env.get("SLACK_APP_TOKEN") or None,
            signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            public_url=config.web.public_url,
        )
        channels = platform_ids(config, self.name, editors=False)
        editors = platform_ids(config, self.name, channels=False)
        return await run_checks(_client(env), channels, editors, events)

    def position_key(self, position: str) -> tuple[int, int]:
        """A message ``ts`` (``"1700000000.000100"``) as (seconds, microseconds), exactly."""
        from adapters.slack.translate import ts_key

        return ts_key(position)

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

    def demo_chat(self, users: DemoUsers, serial: Iterator[int], sink: list[ChatEvent]) -> DemoChat:
        from adapters.slack.demo import SlackDemo

        return SlackDemo(users, serial, sink)


def _client(env: Mapping[str, str]) -> AsyncWebClient:
    """The Web API client for the CLI (``doctor``, ``digest publish``): the bot token only."""
    from adapters.slack.settings import DEFAULT_API_URL, SlackSettings, make_client

    return make_client(
        SlackSettings(
            bot_token=env["SLACK_BOT_TOKEN"],
            api_url=env.get("SLACK_API_URL") or DEFAULT_API_URL,
        )
    )
