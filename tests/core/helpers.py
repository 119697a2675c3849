"""Compact builders for neutral events in core tests."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

from bot.config import Config, parse_config
from bot.curate.commands import COMMANDS, Access
from bot.curate.service import CurationService
from bot.events import (
    Author,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from storage.db import Database
from storage.models import Item
from storage.repo import Repo

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)

CONFIG = """
[receipts]
captured = "inbox_tray"
duplicate = "recycle"

[[digest]]
name = "weekly"
sources = ["slack:C1", "slack:C2", "discord:100"]
editors = ["slack:UED", "discord:role:77"]
default_section = "Elsewhere"

[digest.emoji.sections]
robot_face = "Machine Learning"

[[digest.sections]]
name = "Machine Learning"
hashtags = ["ml"]
domains = ["arxiv.org"]

[[digest.sections]]
name = "Data Engineering"
channels = ["slack:C2"]
keywords = ["warehouse"]
"""

ANN = Author("slack:UANN", "Ann")
BOB = Author("discord:42", "Bob")
EDITOR = Author("slack:UED", "Eddie")
ROLE_EDITOR = Author("discord:43", "Rita", roles=("discord:role:77",))
READER = Author("slack:UREAD", "Rae")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def config(text: str = CONFIG) -> Config:
    return parse_config(text)


def service(db: Database, text: str = CONFIG) -> CurationService:
    return CurationService(config(text), db)


def post(
    channel: str, mid: str, author: Author, text: str, minute: float = 0, parent: str | None = None
) -> MessagePosted:
    return MessagePosted(f"post:{channel}:{mid}", channel, mid, author, text, at(minute), parent)


def edit(channel: str, mid: str, text: str, minute: float, author: Author = ANN) -> MessageEdited:
    return MessageEdited(f"edit:{channel}:{mid}:{minute}", channel, mid, text, at(minute), author)


def delete(channel: str, mid: str, minute: float) -> MessageDeleted:
    return MessageDeleted(f"del:{channel}:{mid}", channel, mid, at(minute))


def react(channel: str, mid: str, user: Author, emoji: str, minute: float) -> ReactionAdded:
    return ReactionAdded(
        f"r+:{channel}:{mid}:{user.id}:{emoji}:{minute}", channel, mid, user, emoji, at(minute)
    )


def unreact(channel: str, mid: str, user: Author, emoji: str, minute: float) -> ReactionRemoved:
    return ReactionRemoved(
        f"r-:{channel}:{mid}:{user.id}:{emoji}:{minute}", channel, mid, user, emoji, at(minute)
    )


def items(db: Database, digest: str | None = None) -> list[Item]:
    with db.session() as session:
        return Repo(session).items(digest)


def only_item(db: Database) -> Item:
    found = items(db)
    assert len(found) == 1, found
    return found[0]


# The commands dispatch refuses to anyone but the channel's digest's editors.
EDITOR_ONLY = [command.name for command in COMMANDS.values() if command.access is Access.editor]


def help_names(text: str) -> set[str]:
    """The commands a help text names: the first word of each `…` after "Commands:"."""
    return {code.split()[0] for code in re.findall(r"`([^`]+)`", text.split("Commands:", 1)[1])}
