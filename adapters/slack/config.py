"""The ``[slack]`` table of ``linkletter.toml`` (loaded with the configuration, not for --help)."""

from __future__ import annotations

from pydantic import Field

from bot.platform_settings import PlatformSettings


class SlackConfig(PlatformSettings):
    """``[slack]``: ``backfill_interval_seconds`` is the pause between two history calls."""

    backfill_interval_seconds: float = Field(default=1.2, ge=0)
