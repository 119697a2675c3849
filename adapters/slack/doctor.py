"""``linkletter doctor`` for Slack: is the API reachable, the token good, are the scopes each
feature needs granted, how will events arrive, is the bot in each configured channel, does
each editor exist? Every check is a ``bot.app.doctor.Check`` with the fix for what is wrong."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.translate import raw_id
from bot.app.doctor import unreachable
from bot.platform import Check

# Bot token scopes -> the feature that needs each; keep in step with deploy/slack/manifest.yml
# (a test compares them).
NEEDED_SCOPES = {
    "channels:history": "capturing messages in public channels, and backfill",
    "groups:history": "capturing messages in private channels",
    "channels:read": "checking the bot is in each public channel",
    "groups:read": "checking the bot is in each private channel",
    "chat:write": "posting digests, previews and thread receipts",
    "im:write": "previews to editors by DM",
    "commands": "/linkletter and the Add to digest shortcut",
    "reactions:read": "curation by reaction (reaction_added/removed events)",
    "reactions:write": "receipt reactions on captured links",
    "users:read": "sharers' display names in issues and /stats (users.info, user_change)",
}
MANIFEST_HINT = "update the app from deploy/slack/manifest.yml and reinstall it to the workspace"
UNREACHABLE = (aiohttp.ClientError, OSError, TimeoutError)


@dataclass(frozen=True)
class EventSettings:
    """How Slack will deliver events: Socket Mode (app token) or HTTP (signing secret)."""

    app_token: str | None = None
    signing_secret: str = ""
    public_url: str | None = None


async def run_checks(
    client: AsyncWebClient,
    channels: Iterable[str],
    editors: Iterable[str] = (),
    events: EventSettings | None = None,
) -> list[Check]:
    """All checks, in order; stops after a failed token check (nothing else can work then)
    and at the first network failure (reported as a failed check, never raised)."""
    checks: list[Check] = []
    try:
        await _collect(client, list(channels), list(editors), events, checks)
    except UNREACHABLE as error:
        checks.append(unreachable("slack", client.base_url, error, "SLACK_API_URL"))
    return checks


async def _collect(
    client: AsyncWebClient,
    channels: list[str],
    editors: list[str],
    events: EventSettings | None,
    checks: list[Check],
) -> None:
    try:
        auth = await client.auth_test()
    except SlackApiError as error:
        checks.append(
            Check(
                "slack token",
                False,
                f"rejected by Slack ({error.response.get('error')})",
                "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)",
            )
        )
        return
    checks.append(
        Check("slack token", True, f"bot {auth.get('user')} in workspace {auth.get('team')}")
    )
    checks.append(_scope_check(_granted_scopes(auth.headers)))
    if events is not None:
        checks.append(await _events_check(client, events))
    for channel in channels:
        checks.append(await _membership_check(client, channel))
    for editor in editors:
        checks.append(await _editor_check(client, editor))


def _granted_scopes(headers: dict[str, object]) -> set[str]:
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else value
            return {scope.strip() for scope in str(text).split(",") if scope.strip()}
    return set()


def _scope_check(granted: set[str]) -> Check:
    missing = sorted(set(NEEDED_SCOPES) - granted)
    if missing:
        needs = "; ".join(f"{scope} ({NEEDED_SCOPES[scope]})" for scope in missing)
        return Check("slack scopes", False, f"missing {needs}", MANIFEST_HINT)
    return Check("slack scopes", True, "every scope the features need is granted")


async def _events_check(client: AsyncWebClient, events: EventSettings) -> Check:
    name = "slack events"
    if events.app_token:
        try:
            await client.apps_connections_open(app_token=events.app_token)
        except SlackApiError as error:
            return Check(
                name,
                False,
                f"Socket Mode: SLACK_APP_TOKEN rejected ({error.response.get('error')})",
                "Slack app settings -> Basic Information -> App-Level Tokens: make one with "
                "connections:write and set SLACK_APP_TOKEN (xapp-…)",
            )
        return Check(name, True, "Socket Mode: the app token opens a connection")
    if not events.signing_secret:
        return Check(
            name,
            False,
            "no way for events to arrive: neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is set",
            "set SLACK_APP_TOKEN (Socket Mode, no public address needed), or "
            "SLACK_SIGNING_SECRET and [web] public_url",
        )
    if not events.public_url:
        return Check(
            name,
            False,
            "SLACK_SIGNING_SECRET is set (HTTP events) but [web] public_url is not: "
            "Slack has no address to send events to",
            'set [web] public_url = "https://links.example.com" and the app\'s Event '
            "Subscriptions Request URL to that address + /slack/events, or use Socket Mode",
        )
    url = events.public_url.rstrip("/") + "/slack/events"
    return Check(
        name, True, f"HTTP events: the app's Request URL must be {url} (Event Subscriptions)"
    )


async def _membership_check(client: AsyncWebClient, channel: str) -> Check:
    try:
        info = await client.conversations_info(channel=raw_id(channel))
    except SlackApiError as error:
        return Check(
            channel,
            False,
            f"cannot read the channel ({error.response.get('error')})",
            "check the id in linkletter.toml and the channels:read/groups:read scopes",
        )
    name = info["channel"].get("name", raw_id(channel))
    if not info["channel"].get("is_member"):
        return Check(
            channel,
            False,
            f"#{name}: the bot is not a member",
            f"type /invite @Linkletter in #{name}",
        )
    return Check(channel, True, f"#{name}: the bot is a member")


async def _editor_check(client: AsyncWebClient, editor: str) -> Check:
    """``conversations.open`` (im:write, which previews by DM need anyway) finds the user."""
    try:
        await client.conversations_open(users=raw_id(editor))
    except SlackApiError as error:
        return Check(
            editor,
            False,
            f"no such Slack user the bot can reach ({error.response.get('error')})",
            "copy the member id from the person's Slack profile (⋮ -> Copy member ID)",
        )
    return Check(editor, True, "editor found; previews can reach them by DM")
