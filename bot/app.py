"""The composition root: builds the running pieces from the config and the environment.

Only this module (and the CLI that calls it) knows which adapters exist; everything it wires
talks through ``bot.ports``.
"""

from __future__ import annotations

from bot.config import Config, DigestConfig
from bot.ports import ChatPublisher
from bot.publish.destinations import Destination, build_destinations
from bot.publish.engine import PublishEngine
from storage.db import Database


def build_engine(
    config: Config,
    db: Database,
    with_chat: bool = False,
    chat: dict[str, ChatPublisher] | None = None,
) -> PublishEngine:
    publishers = chat if chat is not None else (chat_publishers() if with_chat else {})

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return build_destinations(digest.publish_to, publishers)

    return PublishEngine(config, db, destinations)


def chat_publishers() -> dict[str, ChatPublisher]:
    """Publishers for the platforms whose tokens are in the environment."""
    return {}
