"""The composition root: builds the running pieces from the config and the environment.

Only this module, the runner and the CLI know which adapters exist; everything they wire talks
through ``bot.ports``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.config import Config, DigestConfig
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.deliver.services.build import build_platform_destinations
from bot.ports import ChatPublisher
from storage.db import Database


def destinations_for(
    config: Config, chat: dict[str, ChatPublisher]
) -> Callable[[DigestConfig], dict[str, Destination]]:
    """Every destination kind: chat channels, files, SMTP, webhooks, newsletter drafts, git."""

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return {
            **build_destinations(digest.publish_to, chat),
            **build_platform_destinations(digest.publish_to, config.destinations),
        }

    return destinations


def build_engine(
    config: Config, db: Database, chat: dict[str, ChatPublisher] | None = None
) -> PublishEngine:
    return PublishEngine(config, db, destinations_for(config, chat or {}))


@asynccontextmanager
async def chat_from_env() -> AsyncIterator[dict[str, ChatPublisher]]:
    """Publishers for the platforms whose tokens are set, outside ``linkletter run`` (the CLI's
    ``digest publish``); no gateway connection, only the Web/REST APIs."""
    found: dict[str, ChatPublisher] = {}
    closers: list[Callable[[], Awaitable[None]]] = []
    if os.environ.get("SLACK_BOT_TOKEN"):
        from adapters.slack.publisher import SlackPublisher
        from adapters.slack.settings import DEFAULT_API_URL, SlackSettings, make_client

        settings = SlackSettings(
            bot_token=os.environ["SLACK_BOT_TOKEN"],
            api_url=os.environ.get("SLACK_API_URL") or DEFAULT_API_URL,
        )
        found["slack"] = SlackPublisher(make_client(settings))
    if os.environ.get("DISCORD_TOKEN"):
        from discord.http import HTTPClient

        from adapters.discord.bot import DiscordSettings, configure_endpoints
        from adapters.discord.publisher import DiscordPublisher

        discord_settings = DiscordSettings.from_env()
        configure_endpoints(discord_settings.api_url, discord_settings.gateway_url)
        http = HTTPClient(asyncio.get_running_loop())
        me = await http.static_login(discord_settings.token)
        found["discord"] = DiscordPublisher(http, bot_user_id=str(me["id"]))
        closers.append(http.close)
    try:
        yield found
    finally:
        for close in closers:
            await close()
