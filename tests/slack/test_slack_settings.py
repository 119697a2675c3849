"""Settings from the environment: which connection mode, which API URL, clear errors."""

from __future__ import annotations

import pytest

from adapters.slack.settings import DEFAULT_API_URL, SlackSettings


def test_socket_mode_when_an_app_token_is_set() -> None:
    settings = SlackSettings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"},
        backfill_interval=60,
    )
    assert (settings.app_token, settings.api_url, settings.backfill_interval) == (
        "xapp-1",
        DEFAULT_API_URL,
        60,
    )


def test_http_mode_with_a_custom_api_url() -> None:
    settings = SlackSettings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
        }
    )
    assert (settings.app_token, settings.signing_secret) == (None, "s")
    assert settings.api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN .* or SLACK_SIGNING_SECRET"),
    ],
)
def test_missing_secrets_say_which(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlackSettings.from_env(env)
