"""Previewing and publishing on an editor's request (``/linkletter preview|publish``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.deliver.engine import PublishEngine
from bot.digest.render import render_text


class EngineOps:
    """``bot.curate.commands.DigestOps`` on a ``PublishEngine``."""

    def __init__(
        self, engine: PublishEngine, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.engine = engine
        self.now = now

    async def preview_text(self, digest: str) -> str:
        config = self.engine.config.digest(digest)
        issue = await self.engine.preview(config)
        notes = await self.engine.preview_notes(config, issue)
        shown = f"Nothing is approved for {digest} yet." if issue.is_empty else render_text(issue)
        return "\n\n".join([shown, *notes])

    async def publish(self, digest: str, actor: str) -> str:
        """An extra issue now (its own period), exactly once like any other."""
        period = f"manual:{self.now().isoformat(timespec='seconds')}:{actor}"
        report = await self.engine.publish(digest, period)
        return report.describe()
