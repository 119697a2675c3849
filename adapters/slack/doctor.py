"""``linkletter doctor`` for Slack: is the token good, are the scopes granted, is the bot in
each watched channel? Each check says how to fix what is wrong."""

from __future__ import annotations

from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.translate import raw_id

# Bot token scopes; keep in step with deploy/slack/manifest.yml (a test compares them).
NEEDED_SCOPES = frozenset(
    {
        "channels:history",  # message.channels events, conversations.history/replies (backfill)
        "groups:history",  # the same in private channels
        "channels:read",  # conversations.info: is the bot a member?
        "groups:read",  # the same for private channels
        "chat:write",  # digests, previews, receipts in threads, the hello
        "im:write",  # conversations.open for previews to editors by DM
        "commands",  # /linkletter and the "Add to digest" shortcut
        "reactions:read",  # reaction_added / reaction_removed events
        "reactions:write",  # receipt reactions
        "users:read",  # users.info and user_change: sharers' display names in issues and /stats
    }
)
Check = tuple[bool, str]
MANIFEST_HINT = "update the app from deploy/slack/manifest.yml and reinstall it to the workspace"


async def run_checks(client: AsyncWebClient, channels: Iterable[str]) -> list[Check]:
    """All checks, in order; stops after a failed token check (nothing else can work then)."""
    try:
        auth = await client.auth_test()
    except SlackApiError as error:
        return [
            (
                False,
                f"Slack token rejected ({error.response.get('error')}): set "
                "SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)",
            )
        ]
    checks: list[Check] = [
        (True, f"Slack token works: bot {auth.get('user')} in workspace {auth.get('team')}")
    ]
    checks.append(_scope_check(_granted_scopes(auth.headers)))
    for channel in channels:
        checks.append(await _membership_check(client, channel))
    return checks


def _granted_scopes(headers: dict[str, object]) -> set[str]:
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else value
            return {scope.strip() for scope in str(text).split(",") if scope.strip()}
    return set()


def _scope_check(granted: set[str]) -> Check:
    missing = sorted(NEEDED_SCOPES - granted)
    if missing:
        return (False, f"Slack scopes missing: {', '.join(missing)}; {MANIFEST_HINT}")
    return (True, "Slack scopes: all granted")


async def _membership_check(client: AsyncWebClient, channel: str) -> Check:
    try:
        info = await client.conversations_info(channel=raw_id(channel))
    except SlackApiError as error:
        return (
            False,
            f"{channel}: cannot read the channel ({error.response.get('error')}); "
            "check the id in linkletter.toml and the channels:read/groups:read scopes",
        )
    name = info["channel"].get("name", raw_id(channel))
    if not info["channel"].get("is_member"):
        return (
            False,
            f"{channel} (#{name}): the bot is not a member; type /invite @Linkletter in #{name}",
        )
    return (True, f"{channel} (#{name}): the bot is a member")
