"""A realistic week of a team's link channels, as the platforms would deliver it.

Each platform builds its own native payloads (``Platform.demo_chat``: the shapes of the real
captures in the project's test fixtures) and puts them through its real translator, so the demo
exercises the same path as production. The story names the platforms' ids and markup: it is the
console adapter's script, and reaches the platforms only through the registry.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from bot.events import ChatEvent
from bot.platform import DemoChat
from bot.platforms import platform

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SLACK_ML, SLACK_DATA = "C0DEMOML", "C0DEMODATA"
DISCORD_LINKS = "1100000000000000001"
EDITOR_ROLE = "3100000000000000001"
SLACK_USERS: dict[str, tuple[str, list[str]]] = {
    "U0ANN": ("Ann", []),
    "U0CY": ("Cy", []),
    "U0EVE": ("Eve", []),
    "U0EDITOR": ("Eddie", []),
}
MATRIX_LINKS = "!demolinks:demo.test"
MATRIX_USERS: dict[str, tuple[str, list[str]]] = {
    "@mia:demo.test": ("Mia", []),
    "@noor:demo.test": ("Noor", []),
}
DISCORD_USERS: dict[str, tuple[str, list[str]]] = {
    "2100000000000000001": ("Bob", []),
    "2100000000000000002": ("Dee", []),
    "2100000000000000003": ("Rita", [EDITOR_ROLE]),
}


def last_full_week(now: datetime) -> datetime:
    """Monday 09:00 UTC of the last week that has ended by ``now`` (Monday 09:00 to Monday
    09:00, the demo digest's schedule): the week a team would read about today."""
    start = (now - timedelta(days=now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    return start - timedelta(days=7 if start <= now else 14)


class Week:
    """The week's chats; ``base`` is where the sample pages are served. Events are collected
    in delivery order, across platforms, in ``events``."""

    def __init__(self, base: str, monday: datetime = MONDAY) -> None:
        self.base = base
        self.monday = monday
        self.events: list[ChatEvent] = []
        serial = itertools.count(1)  # one delivery counter across the platforms
        self.slack: DemoChat = platform("slack").demo_chat(SLACK_USERS, serial, self.events)
        self.discord: DemoChat = platform("discord").demo_chat(DISCORD_USERS, serial, self.events)
        self.matrix: DemoChat = platform("matrix").demo_chat(MATRIX_USERS, serial, self.events)

    def when(self, day: int, hour: int, minute: int = 0) -> datetime:
        return self.monday + timedelta(days=day, hours=hour - 9, minutes=minute)

    def url(self, slug: str, query: str = "") -> str:
        return f"{self.base}/articles/{slug}{query}"


def build_week(base: str, monday: datetime = MONDAY) -> list[ChatEvent]:
    """The story of the week that starts on ``monday`` at 09:00 (see docs/demo.md)."""
    w = Week(base, monday)
    slack, discord = w.slack, w.discord
    ann = slack.post(
        SLACK_ML,
        "U0ANN",
        f"Great write-up on distillation <{w.url('small-models', '?utm_source=newsletter')}|Small"
        " models, big gains>\n*Why this matters:* we could ship ranking on-device next quarter",
        w.when(0, 9, 12),
    )
    bob = discord.post(
        DISCORD_LINKS, "2100000000000000001", f"{w.url('boring-pipelines')} #data", w.when(0, 10, 5)
    )
    discord.post(
        DISCORD_LINKS,
        "2100000000000000001",
        "why this matters: our Q1 on-call plan in one post",
        w.when(0, 10, 6),
        reply_to=bob,
    )
    cy = slack.post(
        SLACK_DATA,
        "U0CY",
        f"<{w.url('evals-are-products', '?fbclid=IwAR0demo')}> #ml",
        w.when(1, 11),
    )
    dee = discord.post(
        DISCORD_LINKS,
        "2100000000000000002",
        f"Same idea here: <{w.url('evals-are-products')}>",
        w.when(1, 14),
    )
    typo_text = f"Worth a read: <{w.url('typo-link')}>"
    typo = slack.post(SLACK_DATA, "U0ANN", typo_text, w.when(1, 16))
    slack.edit(
        SLACK_DATA,
        "U0ANN",
        typo,
        typo_text,
        f"Worth a read: <{w.url('feature-stores')}>\nwhy: before we buy one",
        w.when(1, 16, 3),
    )
    hot = slack.post(SLACK_DATA, "U0EVE", f"{w.url('deleted-post')} #hot-take", w.when(2, 9))
    slack.delete(SLACK_DATA, hot, w.when(2, 9, 2))
    sql = discord.post(
        DISCORD_LINKS,
        "2100000000000000001",
        f"Our new SQL conventions come from here {w.url('sql-style')} #data",
        w.when(2, 13),
    )
    hype = slack.post(SLACK_ML, "U0CY", f"{w.url('gpu-hype')} lol", w.when(3, 10))
    # The community's Matrix room shares the SQL guide too; a reply there says why it matters.
    mia = w.matrix.post(
        MATRIX_LINKS,
        "@mia:demo.test",
        f"The style guide we keep citing: {w.url('sql-style')}",
        w.when(2, 17),
    )
    w.matrix.post(
        MATRIX_LINKS,
        "@noor:demo.test",
        "Why this matters: one set of rules for every reviewer",
        w.when(2, 17, 20),
        reply_to=mia,
    )
    w.matrix.react(MATRIX_LINKS, mia, "@noor:demo.test", "👍", w.when(2, 17, 21))
    # Reactions: editors curate, everyone else votes.
    slack.react(SLACK_ML, ann, "U0EDITOR", "white_check_mark", w.when(3, 11))
    slack.react(SLACK_ML, ann, "U0EDITOR", "star", w.when(3, 11, 1))
    slack.react(SLACK_ML, ann, "U0EVE", "fire", w.when(3, 11, 5))
    slack.react(SLACK_ML, ann, "U0CY", "+1", w.when(3, 11, 6))
    slack.react(SLACK_DATA, cy, "U0ANN", "+1", w.when(3, 12))
    slack.react(SLACK_DATA, cy, "U0EDITOR", "white_check_mark", w.when(3, 12, 1))
    slack.react(SLACK_DATA, typo, "U0EDITOR", "white_check_mark", w.when(3, 12, 2))
    slack.react(SLACK_ML, hype, "U0EDITOR", "x", w.when(3, 12, 3))
    slack.react(SLACK_ML, hype, "U0EVE", "white_check_mark", w.when(3, 12, 4))  # a vote
    discord.react(DISCORD_LINKS, bob, "2100000000000000003", "✅", w.when(3, 13))
    discord.react(DISCORD_LINKS, sql, "2100000000000000003", "✅", w.when(3, 13, 1))
    discord.react(DISCORD_LINKS, sql, "2100000000000000002", "👍", w.when(3, 13, 2))
    discord.react(DISCORD_LINKS, dee, "2100000000000000001", "🙌", w.when(3, 13, 3))
    slack.post(
        SLACK_DATA,
        "U0EDITOR",
        "Why this matters: the cheapest way to stop arguing about model quality",
        w.when(3, 15),
        reply_to=cy,
    )
    w.events.append(w.events[0])  # Slack retries the first event: nothing changes
    return w.events


def events(base: str, monday: datetime = MONDAY) -> Iterator[ChatEvent]:
    yield from build_week(base, monday)
