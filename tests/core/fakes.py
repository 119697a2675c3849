"""A recording ``ChatPublisher`` for engine tests (the real adapters have their own fakes of
the Slack and Discord servers; here we need to inject crashes between steps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.events import Effect


class Crash(BaseException):
    """Stands in for the process dying: not an Exception, so nothing catches it."""


@dataclass
class RecordingPublisher:
    platform: str = "slack"
    posts: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    crash_after_post: set[int] = field(default_factory=set)  # crash right after post N (1-based)
    fail_channels: set[str] = field(default_factory=set)
    dms: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    async def post(self, channel: str, payload: dict[str, Any], key: str) -> str:
        if channel in self.fail_channels:
            raise RuntimeError(f"{channel} is not reachable")
        self.posts.append((channel, key, payload))
        if len(self.posts) in self.crash_after_post:
            self.crash_after_post.discard(len(self.posts))
            raise Crash(f"killed after post {len(self.posts)}")
        return f"m{len(self.posts)}"

    async def find_posted(self, channel: str, key: str) -> str | None:
        for index, (posted_channel, posted_key, _) in enumerate(self.posts, start=1):
            if posted_channel == channel and posted_key == key:
                return f"m{index}"
        return None

    async def direct_message(self, user: str, payload: dict[str, Any]) -> None:
        self.dms.append((user, payload))

    async def apply(self, effect: Effect) -> None:
        self.effects.append(effect)

    def posted_keys(self) -> list[str]:
        return [key for _, key, _ in self.posts]
