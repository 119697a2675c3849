"""Slack adapter: slack-bolt app, publisher, catch-up and doctor checks (see docs/slack.md).

Cheap to import: ``PLATFORM`` loads slack-bolt and slack-sdk only when it connects or publishes.
"""

from adapters.slack.platform import Slack

PLATFORM = Slack()
