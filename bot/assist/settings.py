"""The ``[assist]`` table of ``linkletter.toml`` (documented key by key in ``docs/assist.md``)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Feature = Literal["summary", "section", "why"]
FEATURES: tuple[Feature, ...] = ("summary", "section", "why")


class AssistConfig(BaseModel):
    """Off by default; the API key is read from the environment variable ``api_key_env``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    base_url: str = Field(default="http://127.0.0.1:11434/v1", pattern=r"^https?://\S+$")
    model: str = Field(default="llama3.2", min_length=1)
    api_key_env: str = Field(default="LINKLETTER_ASSIST_API_KEY", pattern=r"^[A-Za-z_]\w*$")
    timeout_seconds: float = Field(default=60, gt=0)
    monthly_token_budget: int = Field(default=1_000_000, ge=0)
    max_input_chars: int = Field(default=12_000, ge=500)
    max_output_tokens: int = Field(default=400, ge=16)
    features: list[Feature] = Field(default_factory=lambda: list(FEATURES))
    poll_seconds: float = Field(default=60, gt=0)
    max_attempts: int = Field(default=3, ge=1)

    def api_key(self) -> str | None:
        """The key from the environment; ``None`` for local servers that need none."""
        return os.environ.get(self.api_key_env) or None

    def uses(self, feature: Feature) -> bool:
        return self.enabled and feature in self.features
