"""The base of every platform's ``[<name>]`` table in ``linkletter.toml``.

Apart from ``bot.platform`` because it needs pydantic, which ``linkletter --help`` must not load:
the CLI reads the platforms' names and commands through ``bot.platform`` alone.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PlatformSettings(BaseModel):
    """The ``[<name>]`` table of ``linkletter.toml``; a platform subclasses it for its own keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capture_bot_messages: bool = False
