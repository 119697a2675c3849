"""The Slack adapter's secrets and endpoints, and the Web API client built from them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """``app_token`` set means Socket Mode; otherwise Slack POSTs events to ``/slack/events``.

    ``backfill_interval`` is the minimum number of seconds between two history calls. The default
    suits internal (non-distributed) apps, which get Tier 3 limits; apps distributed outside the
    Slack Marketplace get about one ``conversations.history`` call a minute: set 60 for those.
    """

    bot_token: str
    signing_secret: str = ""
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    backfill_interval: float = 3.0

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] = os.environ,
        *,
        backfill_interval: float = 3.0,
    ) -> SlackSettings:
        """Read ``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_APP_TOKEN`` and
        ``SLACK_API_URL``; ``backfill_interval`` comes from ``[slack]`` in the config file.
        """
        token = env.get("SLACK_BOT_TOKEN", "")
        if not token:
            raise ValueError("SLACK_BOT_TOKEN is not set (the app's Bot User OAuth Token, xoxb-…)")
        app_token = env.get("SLACK_APP_TOKEN") or None
        secret = env.get("SLACK_SIGNING_SECRET", "")
        if app_token is None and not secret:
            raise ValueError(
                "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP events)"
            )
        return cls(
            bot_token=token,
            signing_secret=secret,
            app_token=app_token,
            api_url=env.get("SLACK_API_URL") or DEFAULT_API_URL,
            backfill_interval=backfill_interval,
        )


def make_client(settings: SlackSettings) -> AsyncWebClient:
    """The Web API client: retries 429 after Retry-After (≤ 3 times), 5xx and connection errors."""
    return AsyncWebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )
