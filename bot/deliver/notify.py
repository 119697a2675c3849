"""Tell a digest's editors something: in their channel if configured, else by DM."""

from __future__ import annotations

import logging
from typing import Any

from bot.config import DigestConfig
from bot.platforms import platform
from bot.ports import ChatPublisher

log = logging.getLogger(__name__)


class EditorNotifier:
    def __init__(self, chat: dict[str, ChatPublisher]) -> None:
        self.chat = chat

    async def send(
        self, digest: DigestConfig, payloads: dict[str, list[dict[str, Any]]], key: str
    ) -> int:
        """Send per-platform payloads to the editors; returns how many messages went out."""
        sent = 0
        for target in self._targets(digest):
            name = target.split(":", 1)[0]
            publisher = self.chat.get(name)
            if publisher is None:
                continue
            for index, payload in enumerate(payloads.get(name, [])):
                try:
                    if target == digest.editors_channel:
                        await publisher.post(target, payload, f"{key}:{index}")
                    else:
                        await publisher.direct_message(target, payload)
                    sent += 1
                except Exception:  # a notice that cannot be delivered must not stop publishing
                    log.warning("could not notify %s about %s", target, key, exc_info=True)
        return sent

    async def say(self, digest: DigestConfig, text: str, key: str) -> int:
        payloads = {name: [platform(name).text_message(text)] for name in self.chat}
        return await self.send(digest, payloads, key)

    @staticmethod
    def _targets(digest: DigestConfig) -> list[str]:
        if digest.editors_channel:
            return [digest.editors_channel]
        return [editor for editor in digest.editors if ":role:" not in editor]
