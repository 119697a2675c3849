"""The pure translation of Matrix room events (shapes from the client-server spec and from the
events Synapse serves in tests/matrix) into neutral events."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.matrix.members import Members, privileged_creators
from adapters.matrix.translate import (
    MalformedEvent,
    ReactionKey,
    RoomView,
    message_text,
    translate,
)
from bot.events import MessageDeleted, MessageEdited, MessagePosted, ReactionAdded, ReactionRemoved

ROOM = "!room:example.org"
ME = "@linkletter:example.org"
members = Members((50,))


def view(reactions: dict[str, ReactionKey] | None = None) -> RoomView:
    return RoomView(f"matrix:{ROOM}", ROOM, ME, lambda u: members.author(ROOM, u), reactions or {})


def event(
    kind: str, content: dict[str, Any], sender: str = "@ann:example.org", **extra: Any
) -> dict[str, Any]:
    return {
        "type": kind,
        "event_id": "$e1",
        "sender": sender,
        "origin_server_ts": 1_764_000_000_000,
        "content": content,
        **extra,
    }


def test_a_reply_drops_its_quoted_fallback_and_keeps_hidden_link_targets() -> None:
    content = {
        "msgtype": "m.text",
        "body": "> <@bob:example.org> https://example.org/original\n\nwhy this matters: read it",
        "format": "org.matrix.custom.html",
        "formatted_body": (
            '<mx-reply><blockquote><a href="https://example.org/original">x</a></blockquote>'
            '</mx-reply>why this matters: <a href="https://example.org/hidden">read it</a>'
            ' <a href="https://matrix.to/#/@bob:example.org">Bob</a>'
        ),
        "m.relates_to": {"m.in_reply_to": {"event_id": "$original"}},
    }
    posted = translate(event("m.room.message", content), view())
    assert isinstance(posted, MessagePosted)
    assert posted.text == "why this matters: read it\nhttps://example.org/hidden"
    assert posted.thread_parent == "$original"
    assert posted.permalink == f"https://matrix.to/#/{ROOM}/$e1"
    assert posted.event_id == "matrix:$e1"


def test_a_thread_message_answers_its_root_unless_it_really_replies() -> None:
    fallback = {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$latest"},
    }
    real = fallback | {"is_falling_back": False}
    for relation, parent in ((fallback, "$root"), (real, "$latest")):
        content = {"msgtype": "m.text", "body": "why", "m.relates_to": relation}
        posted = translate(event("m.room.message", content), view())
        assert isinstance(posted, MessagePosted)
        assert posted.thread_parent == parent


def test_an_edit_takes_the_new_content() -> None:
    content = {
        "msgtype": "m.text",
        "body": "* https://example.org/new",
        "m.new_content": {"msgtype": "m.text", "body": "https://example.org/new"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$original"},
    }
    edited = translate(event("m.room.message", content), view())
    assert isinstance(edited, MessageEdited)
    assert (edited.message_id, edited.text) == ("$original", "https://example.org/new")


def test_reactions_and_redactions() -> None:
    relation = {"rel_type": "m.annotation", "event_id": "$share", "key": "✅"}
    added = translate(event("m.reaction", {"m.relates_to": relation}), view())
    assert isinstance(added, ReactionAdded)
    assert (added.message_id, added.emoji, added.user.id) == (
        "$share",
        "✅",
        "matrix:@ann:example.org",
    )
    known = {"$r": ReactionKey("$share", "@ann:example.org", "✅")}
    # room versions up to 10: ``redacts`` at the top; version 11: in the content
    removed = translate(event("m.room.redaction", {}, redacts="$r"), view(known))
    assert isinstance(removed, ReactionRemoved)
    assert (removed.message_id, removed.emoji) == ("$share", "✅")
    deleted = translate(event("m.room.redaction", {"redacts": "$share"}), view(known))
    assert isinstance(deleted, MessageDeleted)
    assert deleted.message_id == "$share"


def test_own_events_state_and_other_types_are_ignored() -> None:
    text = {"msgtype": "m.text", "body": "https://example.org"}
    assert translate(event("m.room.message", text, sender=ME), view()) is None
    assert translate(event("m.room.encrypted", {"ciphertext": "…"}), view()) is None
    assert (
        translate(event("m.room.message", {"msgtype": "m.image", "body": "a.png"}), view()) is None
    )
    assert translate(event("m.room.topic", {"topic": "x"}, state_key=""), view()) is None
    notice = translate(event("m.room.message", text | {"msgtype": "m.notice"}), view())
    assert isinstance(notice, MessagePosted)
    assert notice.author.is_bot


@pytest.mark.parametrize(
    "bad",
    [
        "not an event",
        {"type": "m.room.message", "sender": "@a:b", "content": "x"},
        event("m.room.message", {"msgtype": "m.text"}),
        event("m.room.message", {"msgtype": "m.text", "body": "x"}, origin_server_ts="now"),
        event("m.room.redaction", {}),
    ],
)
def test_malformed_events_raise_malformed_event_only(bad: Any) -> None:
    with pytest.raises(MalformedEvent):
        translate(bad, view())


def test_power_roles_and_room_version_12_creators() -> None:
    state = Members((100, 50))
    state.learn(
        ROOM, {"type": "m.room.power_levels", "state_key": "", "content": {"users": {"@mod:x": 50}}}
    )
    create = {
        "type": "m.room.create",
        "state_key": "",
        "sender": "@owner:x",
        "content": {"room_version": "12", "additional_creators": ["@co:x"]},
    }
    state.learn(ROOM, create)
    assert state.author(ROOM, "@mod:x").roles == ("matrix:power:50",)
    assert state.author(ROOM, "@co:x").roles == ("matrix:power:100", "matrix:power:50")
    assert state.author(ROOM, "@nobody:x").roles == ()
    assert privileged_creators(create | {"content": {"room_version": "11"}}) == frozenset()


def test_plain_text_without_html_is_the_body() -> None:
    assert message_text({"body": "> not a reply\nhttps://x.org"}) == "> not a reply\nhttps://x.org"
