"""Slack adapter: slack-bolt app, publisher, catch-up and doctor checks (see docs/slack.md).

Importing this package is cheap (``bot.platforms`` does it for ``--help``): slack-bolt and
slack-sdk load in the modules that need them.
"""

from adapters.slack.platform import SlackPlatform

PLATFORM = SlackPlatform()
