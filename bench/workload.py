"""Synthetic but real-shaped traffic: Slack Events API envelopes (the shape of the captures in
tests/fixtures/slack) that go through the real translator, so benchmarks and fault tests
exercise the production path from payload to database.

``link_shares`` is pure link sharing (the ingest benchmark); ``mixed`` adds what a busy channel
also delivers: votes, editors' approvals, edits, deletions and Slack's redeliveries.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.slack.translate import translate
from bot.config import Config, parse_config
from bot.events import ChatEvent

CHANNELS = ("C0LINKS", "C0DATA")
EDITOR = "U0EDITOR"
START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
CONFIG_TEXT = f"""
[[digest]]
name = "weekly"
sources = ["slack:{CHANNELS[0]}", "slack:{CHANNELS[1]}"]
editors = ["slack:{EDITOR}"]
default_section = "Elsewhere"

[[digest.sections]]
name = "Data Engineering"
channels = ["slack:{CHANNELS[1]}"]
"""


def config(publish_to: Iterable[str] = ()) -> Config:
    """The benchmark digest; ``publish_to`` adds destinations (``slack:C…``, ``discord:…``)."""
    targets = ", ".join(f'"{name}"' for name in publish_to)
    anchor = 'default_section = "Elsewhere"\n'
    return parse_config(CONFIG_TEXT.replace(anchor, f"{anchor}publish_to = [{targets}]\n"))


def _ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


class SlackTraffic:
    """Builds envelopes in delivery order; the same seed gives the same traffic."""

    def __init__(self, seed: int, base: str | None = None) -> None:
        self.random = random.Random(seed)
        self.base = base  # where the shared pages live; None: made-up public sites
        self.envelopes: list[dict[str, Any]] = []
        self.posts: list[tuple[str, str, str]] = []  # (channel, ts, user) of live posts
        self.links = 0
        self.clock = START

    def _tick(self) -> datetime:
        self.clock += timedelta(milliseconds=self.random.randint(1, 2000))
        return self.clock

    def _deliver(self, event: dict[str, Any], at: datetime) -> None:
        self.envelopes.append(
            {
                "token": "bench",
                "team_id": "T0BENCH",
                "api_app_id": "A0BENCH",
                "type": "event_callback",
                "event_id": f"Ev{len(self.envelopes):09d}",
                "event_time": int(at.timestamp()),
                "event": event,
            }
        )

    def _link(self) -> str:
        """A new article four times in five, otherwise one shared before (a duplicate)."""
        if self.links and self.random.random() < 0.2:
            number = self.random.randrange(self.links)
        else:
            number, self.links = self.links, self.links + 1
        base = self.base or f"https://site{number % 97}.example.com"
        return f"{base}/posts/{number}?utm_source=slack&ref=bench"

    def post(self) -> None:
        at = self._tick()
        channel = self.random.choice(CHANNELS)
        user = f"U{self.random.randrange(40):04d}"
        text = f"worth reading: <{self._link()}> #{self.random.choice(['ml', 'data', 'misc'])}"
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": _ts(at),
            "event_ts": _ts(at),
            "channel_type": "channel",
        }
        self.posts.append((channel, _ts(at), user))
        self._deliver(event, at)

    def react(self, editor: bool | None = None) -> None:
        at = self._tick()
        channel, ts, _ = self.random.choice(self.posts)
        editor = self.random.random() < 0.3 if editor is None else editor
        user = EDITOR if editor else f"U{self.random.randrange(40):04d}"
        name = "white_check_mark" if editor else self.random.choice(["+1", "fire", "eyes"])
        kind = "reaction_added" if self.random.random() < 0.9 else "reaction_removed"
        event = {
            "type": kind,
            "user": user,
            "reaction": name,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "item_user": "U0000",
            "event_ts": _ts(at),
        }
        self._deliver(event, at)

    def edit(self) -> None:
        at = self._tick()
        channel, ts, user = self.random.choice(self.posts)
        new = f"edited: <{self._link()}>"
        message = {"type": "message", "user": user, "text": new, "ts": ts}
        event = {
            "type": "message",
            "subtype": "message_changed",
            "channel": channel,
            "hidden": True,
            "message": {**message, "edited": {"user": user, "ts": _ts(at)}},
            "previous_message": {**message, "text": "before"},
            "event_ts": _ts(at),
            "ts": _ts(at),
        }
        self._deliver(event, at)

    def delete(self) -> None:
        at = self._tick()
        channel, ts, _ = self.posts.pop(self.random.randrange(len(self.posts)))
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "channel": channel,
            "hidden": True,
            "deleted_ts": ts,
            "event_ts": _ts(at),
            "ts": _ts(at),
        }
        self._deliver(event, at)

    def redeliver(self) -> None:
        """Slack's retry of an earlier delivery: same event id, must change nothing."""
        self.envelopes.append(self.random.choice(self.envelopes))


def link_shares(count: int, seed: int = 1, base: str | None = None) -> list[dict[str, Any]]:
    traffic = SlackTraffic(seed, base)
    for _ in range(count):
        traffic.post()
    return traffic.envelopes


def mixed(count: int, seed: int = 1) -> list[dict[str, Any]]:
    traffic = SlackTraffic(seed)
    actions = [traffic.post, traffic.react, traffic.edit, traffic.delete, traffic.redeliver]
    weights = [60, 25, 6, 3, 6]
    traffic.post()
    while len(traffic.envelopes) < count:
        action = traffic.random.choices(actions, weights)[0]
        if action is traffic.delete and len(traffic.posts) < 2:
            action = traffic.post
        action()
    return traffic.envelopes


def approved(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """``count`` posts, each approved by an editor's reaction: a full issue waiting."""
    traffic = SlackTraffic(seed)
    for _ in range(count):
        traffic.post()
        traffic.posts = traffic.posts[-1:]
        traffic.react(editor=True)
    return traffic.envelopes


def neutral(envelopes: Iterable[dict[str, Any]]) -> Iterator[ChatEvent]:
    """The envelopes through the real Slack translator."""
    for envelope in envelopes:
        event = translate(envelope)
        if event is not None:
            yield event


def write_jsonl(path: Path, envelopes: Iterable[dict[str, Any]]) -> None:
    with path.open("w") as out:
        for envelope in envelopes:
            out.write(json.dumps(envelope) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]
