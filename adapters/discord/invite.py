"""The permissions Linkletter's bot needs and the invite URL that grants them.

View Channel and Read Message History to see shares and catch up after downtime; Add Reactions
for receipts; Send Messages, Send Messages in Threads and Embed Links to post digests and thread
replies; Use Application Commands for ``/linkletter``. Nothing else (no Administrator, no
Manage Messages, no Mention Everyone).
"""

from __future__ import annotations

import discord

REQUIRED = discord.Permissions(
    view_channel=True,
    read_message_history=True,
    add_reactions=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    use_application_commands=True,
)
PERMISSIONS_INTEGER = REQUIRED.value  # 277025475648, as documented in docs/discord.md
SCOPES = ("bot", "applications.commands")


def invite_url(client_id: int | str) -> str:
    """The OAuth2 URL a server admin opens to add the bot with exactly these permissions."""
    return discord.utils.oauth_url(int(client_id), permissions=REQUIRED, scopes=SCOPES)


def missing_permission_names(granted: int) -> list[str]:
    """Human names of required permissions not in ``granted`` (e.g. "Send Messages")."""
    have = discord.Permissions(granted)
    return [
        name.replace("_", " ").title()
        for name, wanted in REQUIRED
        if wanted and not getattr(have, name)
    ]
