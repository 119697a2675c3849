"""Discord adapter: gateway client, publisher, catch-up and doctor checks (see docs/discord.md).

Cheap to import: ``PLATFORM`` loads discord.py only when it connects or publishes.
"""

from adapters.discord.platform import Discord

PLATFORM = Discord()
