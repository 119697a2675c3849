"""The composition root: builds the running pieces from the config and the environment.

The chat platforms come from the registry (``bot.platforms``); everything wired here talks
through ``bot.ports``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

from bot.config import Config, DigestConfig, allow_private_networks, archive_save_url
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.deliver.services.build import build_platform_destinations
from bot.enrich.archive import ArchiveSettings
from bot.enrich.fetch import FetchSettings
from bot.platforms import every
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


def fetch_settings(config: Config) -> FetchSettings:
    fetch = config.fetch
    return FetchSettings(
        allow_private_networks=allow_private_networks(config),
        max_bytes=fetch.max_bytes,
        timeout=fetch.timeout_seconds,
        user_agent=fetch.user_agent,
        global_concurrency=fetch.concurrency,
        per_host_concurrency=fetch.per_host_concurrency,
        max_attempts=1,  # the queue retries with backoff across runs (EnrichmentWorker)
        budget=fetch.budget_seconds,
        extract_processes=fetch.extract_processes,
    )


def archive_settings(config: Config) -> ArchiveSettings:
    return ArchiveSettings(
        save_url=archive_save_url(config),
        timeout=config.archive.timeout_seconds,
        user_agent=config.fetch.user_agent,
        allow_private_networks=allow_private_networks(config),
    )


def build_engine(
    config: Config, db: Database, chat: dict[str, ChatPublisher] | None = None
) -> PublishEngine:
    destinations = destinations_for(config, chat or {})
    return PublishEngine(config, db, destinations, link_check=fetch_settings(config))


@asynccontextmanager
async def chat_from_env(
    env: Mapping[str, str] = os.environ,
) -> AsyncIterator[dict[str, ChatPublisher]]:
    """Publishers for the platforms whose tokens are set, outside ``linkletter run`` (the CLI's
    ``digest publish``); no gateway connection, only the Web/REST APIs."""
    async with AsyncExitStack() as stack:
        yield {
            platform.name: await stack.enter_async_context(platform.publisher(env))
            for platform in every()
            if env.get(platform.token_variable)
        }
