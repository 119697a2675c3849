"""Slack adapter: slack-bolt app, publisher, catch-up and doctor checks (see docs/slack.md)."""

from adapters.slack.connection import SlackAdapter
from adapters.slack.doctor import NEEDED_SCOPES, run_checks
from adapters.slack.publisher import SlackPublisher
from adapters.slack.settings import SlackSettings, make_client

__all__ = [
    "NEEDED_SCOPES",
    "SlackAdapter",
    "SlackPublisher",
    "SlackSettings",
    "make_client",
    "run_checks",
]
