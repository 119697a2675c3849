"""Discord adapter: gateway bot, publisher, catch-up and doctor checks (see docs/discord.md).

Importing this package is cheap (``bot.platforms`` does it for ``--help``): discord.py loads in
the modules that need it.
"""

from adapters.discord.platform import DiscordPlatform

PLATFORM = DiscordPlatform()
