"""A realistic week of a team's link channels, as the platforms would deliver it.

Slack events are Events API ``event_callback`` envelopes and Discord events are gateway
dispatch payloads (the shapes of the real captures in the project's test fixtures); both go
through the real adapters' translators, so the demo exercises the same path as production.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.discord import translate as discord_translate
from adapters.slack import translate as slack_translate
from bot.events import ChatEvent, MessagePosted

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SLACK_ML, SLACK_DATA = "C0DEMOML", "C0DEMODATA"
DISCORD_LINKS, DISCORD_GUILD = "1100000000000000001", "1000000000000000001"
EDITOR_ROLE = "3100000000000000001"
SLACK_USERS = {"U0ANN": "Ann", "U0CY": "Cy", "U0EVE": "Eve", "U0EDITOR": "Eddie"}
DISCORD_USERS = {
    "2100000000000000001": ("Bob", []),
    "2100000000000000002": ("Dee", []),
    "2100000000000000003": ("Rita", [EDITOR_ROLE]),
}


@dataclass(frozen=True)
class Delivery:
    platform: str  # slack | discord
    kind: str  # Slack: "event"; Discord: the dispatch name
    payload: dict[str, Any]
    at: datetime


def _ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


def last_full_week(now: datetime) -> datetime:
    """Monday 09:00 UTC of the last week that has ended by ``now`` (Monday 09:00 to Monday
    09:00, the demo digest's schedule): the week a team would read about today."""
    start = (now - timedelta(days=now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    return start - timedelta(days=7 if start <= now else 14)


class Week:
    """Builds the deliveries; ``base`` is where the sample pages are served."""

    def __init__(self, base: str, monday: datetime = MONDAY) -> None:
        self.base = base
        self.monday = monday
        self.deliveries: list[Delivery] = []
        self._serial = 0

    def when(self, day: int, hour: int, minute: int = 0) -> datetime:
        return self.monday + timedelta(days=day, hours=hour - 9, minutes=minute)

    def url(self, slug: str, query: str = "") -> str:
        return f"{self.base}/articles/{slug}{query}"

    # --- Slack ------------------------------------------------------------------------------
    def _slack(self, event: dict[str, Any], at: datetime) -> None:
        self._serial += 1
        envelope = {
            "token": "demo",
            "team_id": "T0DEMO",
            "api_app_id": "A0DEMO",
            "type": "event_callback",
            "event_id": f"Ev0DEMO{self._serial:04d}",
            "event_time": int(at.timestamp()),
            "event": event,
        }
        self.deliveries.append(Delivery("slack", "event", envelope, at))

    def slack_post(
        self, channel: str, user: str, text: str, at: datetime, thread: datetime | None = None
    ) -> datetime:
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": _ts(at),
            "event_ts": _ts(at),
            "channel_type": "channel",
        }
        if thread is not None:
            event["thread_ts"] = _ts(thread)
        self._slack(event, at)
        return at

    def slack_edit(
        self, channel: str, user: str, posted: datetime, old: str, new: str, at: datetime
    ) -> None:
        self._slack(
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": channel,
                "hidden": True,
                "message": {
                    "type": "message",
                    "user": user,
                    "text": new,
                    "ts": _ts(posted),
                    "edited": {"user": user, "ts": _ts(at)},
                },
                "previous_message": {
                    "type": "message",
                    "user": user,
                    "text": old,
                    "ts": _ts(posted),
                },
                "event_ts": _ts(at),
                "ts": _ts(at),
            },
            at,
        )

    def slack_delete(self, channel: str, posted: datetime, at: datetime) -> None:
        self._slack(
            {
                "type": "message",
                "subtype": "message_deleted",
                "channel": channel,
                "hidden": True,
                "deleted_ts": _ts(posted),
                "event_ts": _ts(at),
                "ts": _ts(at),
            },
            at,
        )

    def slack_react(
        self, channel: str, posted: datetime, user: str, reaction: str, at: datetime
    ) -> None:
        self._slack(
            {
                "type": "reaction_added",
                "user": user,
                "reaction": reaction,
                "item": {"type": "message", "channel": channel, "ts": _ts(posted)},
                "event_ts": _ts(at),
            },
            at,
        )

    # --- Discord ----------------------------------------------------------------------------
    def _snowflake(self, at: datetime) -> str:
        self._serial += 1
        return str(((int(at.timestamp() * 1000) - 1420070400000) << 22) + self._serial)

    def discord_post(self, user: str, text: str, at: datetime, reply_to: str | None = None) -> str:
        name, roles = DISCORD_USERS[user]
        message_id = self._snowflake(at)
        data: dict[str, Any] = {
            "id": message_id,
            "channel_id": DISCORD_LINKS,
            "guild_id": DISCORD_GUILD,
            "author": {"id": user, "username": name.lower(), "global_name": name},
            "member": {"roles": roles},
            "content": text,
            "timestamp": at.isoformat(),
            "edited_timestamp": None,
            "type": 19 if reply_to else 0,
            "embeds": [],
            "attachments": [],
            "mentions": [],
        }
        if reply_to:
            data["message_reference"] = {
                "message_id": reply_to,
                "channel_id": DISCORD_LINKS,
                "guild_id": DISCORD_GUILD,
                "type": 0,
            }
        self.deliveries.append(Delivery("discord", "MESSAGE_CREATE", data, at))
        return message_id

    def discord_react(self, message_id: str, user: str, emoji: str, at: datetime) -> None:
        name, roles = DISCORD_USERS[user]
        data = {
            "user_id": user,
            "channel_id": DISCORD_LINKS,
            "message_id": message_id,
            "guild_id": DISCORD_GUILD,
            "emoji": {"id": None, "name": emoji},
            "member": {"roles": roles, "user": {"id": user, "username": name.lower()}},
        }
        self.deliveries.append(Delivery("discord", "MESSAGE_REACTION_ADD", data, at))


def build_week(base: str, monday: datetime = MONDAY) -> list[Delivery]:
    """The story of the week that starts on ``monday`` at 09:00 (see docs/demo.md)."""
    w = Week(base, monday)
    ann = w.slack_post(
        SLACK_ML,
        "U0ANN",
        f"Great write-up on distillation <{w.url('small-models', '?utm_source=newsletter')}|Small"
        " models, big gains>\n*Why this matters:* we could ship ranking on-device next quarter",
        w.when(0, 9, 12),
    )
    bob = w.discord_post(
        "2100000000000000001", f"{w.url('boring-pipelines')} #data", w.when(0, 10, 5)
    )
    w.discord_post(
        "2100000000000000001",
        "why this matters: our Q1 on-call plan in one post",
        w.when(0, 10, 6),
        reply_to=bob,
    )
    cy = w.slack_post(
        SLACK_DATA,
        "U0CY",
        f"<{w.url('evals-are-products', '?fbclid=IwAR0demo')}> #ml",
        w.when(1, 11),
    )
    dee = w.discord_post(
        "2100000000000000002", f"Same idea here: <{w.url('evals-are-products')}>", w.when(1, 14)
    )
    typo_text = f"Worth a read: <{w.url('typo-link')}>"
    typo = w.slack_post(SLACK_DATA, "U0ANN", typo_text, w.when(1, 16))
    w.slack_edit(
        SLACK_DATA,
        "U0ANN",
        typo,
        typo_text,
        f"Worth a read: <{w.url('feature-stores')}>\nwhy: before we buy one",
        w.when(1, 16, 3),
    )
    hot = w.slack_post(SLACK_DATA, "U0EVE", f"{w.url('deleted-post')} #hot-take", w.when(2, 9))
    w.slack_delete(SLACK_DATA, hot, w.when(2, 9, 2))
    sql = w.discord_post(
        "2100000000000000001",
        f"Our new SQL conventions come from here {w.url('sql-style')} #data",
        w.when(2, 13),
    )
    hype = w.slack_post(SLACK_ML, "U0CY", f"{w.url('gpu-hype')} lol", w.when(3, 10))
    # Reactions: editors curate, everyone else votes.
    w.slack_react(SLACK_ML, ann, "U0EDITOR", "white_check_mark", w.when(3, 11))
    w.slack_react(SLACK_ML, ann, "U0EDITOR", "star", w.when(3, 11, 1))
    w.slack_react(SLACK_ML, ann, "U0EVE", "fire", w.when(3, 11, 5))
    w.slack_react(SLACK_ML, ann, "U0CY", "+1", w.when(3, 11, 6))
    w.slack_react(SLACK_DATA, cy, "U0ANN", "+1", w.when(3, 12))
    w.slack_react(SLACK_DATA, cy, "U0EDITOR", "white_check_mark", w.when(3, 12, 1))
    w.slack_react(SLACK_DATA, typo, "U0EDITOR", "white_check_mark", w.when(3, 12, 2))
    w.slack_react(SLACK_ML, hype, "U0EDITOR", "x", w.when(3, 12, 3))
    w.slack_react(SLACK_ML, hype, "U0EVE", "white_check_mark", w.when(3, 12, 4))  # a vote
    w.discord_react(bob, "2100000000000000003", "✅", w.when(3, 13))
    w.discord_react(sql, "2100000000000000003", "✅", w.when(3, 13, 1))
    w.discord_react(sql, "2100000000000000002", "👍", w.when(3, 13, 2))
    w.discord_react(dee, "2100000000000000001", "🙌", w.when(3, 13, 3))
    w.slack_post(
        SLACK_DATA,
        "U0EDITOR",
        "Why this matters: the cheapest way to stop arguing about model quality",
        w.when(3, 15),
        thread=cy,
    )
    w.deliveries.append(w.deliveries[0])  # Slack retries the first event: nothing changes
    return w.deliveries


def translate(delivery: Delivery) -> ChatEvent | None:
    """One delivery through the real platform translator (Slack events carry no names: the
    live adapter looks them up; here the demo's directory stands in)."""
    if delivery.platform == "slack":
        event = slack_translate.translate(delivery.payload)
        if isinstance(event, MessagePosted):
            name = SLACK_USERS.get(event.author.id.removeprefix("slack:"))
            return replace(event, author=replace(event.author, name=name))
        return event
    if delivery.kind == "MESSAGE_CREATE":
        return discord_translate.message_created(delivery.payload)
    return discord_translate.reaction_added(delivery.payload, at=delivery.at, delivery="demo")


def events(base: str, monday: datetime = MONDAY) -> Iterator[ChatEvent]:
    for delivery in build_week(base, monday):
        event = translate(delivery)
        if event is not None:
            yield event
