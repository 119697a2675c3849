"""Each platform's demo payloads go through its real translator (``Platform.demo_chat``)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bot.events import ChatEvent, MessageDeleted, MessageEdited, MessagePosted, ReactionAdded
from bot.platforms import every

AT = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
CHANNELS = {"slack": "C0DEMO", "discord": "1100000000000000001", "matrix": "!demo:demo.test"}
USERS = {"slack": "U0ANN", "discord": "2100000000000000001", "matrix": "@ann:demo.test"}


def test_every_platform_posts_edits_reacts_and_deletes() -> None:
    serial = itertools.count(1)
    for chat in every():
        events: list[ChatEvent] = []
        user = USERS[chat.name]
        demo = chat.demo_chat({user: ("Ann", [])}, serial, events)
        channel = CHANNELS[chat.name]
        message = demo.post(channel, user, "https://example.com/a", AT)
        demo.edit(channel, user, message, "https://example.com/a", "https://example.com/b", AT)
        demo.react(channel, message, user, "✅", AT + timedelta(minutes=1))
        demo.delete(channel, message, AT + timedelta(minutes=2))
        kinds = [type(event) for event in events]
        assert kinds == [MessagePosted, MessageEdited, ReactionAdded, MessageDeleted], chat.name
        posted = events[0]
        assert isinstance(posted, MessagePosted)
        assert posted.channel == f"{chat.name}:{channel}"
        assert posted.author.name == "Ann"
        assert {event.message_id for event in events} == {message}


def test_one_serial_numbers_the_deliveries_across_platforms() -> None:
    serial = itertools.count(1)
    sinks: list[list[ChatEvent]] = [[] for _ in every()]
    chats = [
        chat.demo_chat({USERS[chat.name]: ("Ann", [])}, serial, sink)
        for chat, sink in zip(every(), sinks, strict=True)
    ]
    for demo, chat in zip(chats, every(), strict=True):
        demo.post(CHANNELS[chat.name], USERS[chat.name], "hi", AT)
    assert next(serial) == len(sinks) + 1  # each post used one number
