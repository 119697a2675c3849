"""Slack payload -> neutral event translation, driven by real recorded payloads."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.translate import (
    MalformedEvent,
    base_emoji,
    history_events,
    translate,
    ts_key,
)
from bot.events import (
    Author,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    Unfurl,
    UnfurlsAdded,
)
from tests.slack.helpers import load_fixture

load = load_fixture


@pytest.mark.parametrize(
    ("fixture", "event_id", "channel", "message_id", "author", "is_bot", "thread_parent"),
    [
        (
            "events_link.json",
            "Ev043R67DQ1H",
            "slack:C043YJGBY49",
            "1663978925.099999",
            "slack:U043H11ES4V",
            False,
            None,
        ),
        (
            "events_message_rich_text.json",
            "Ev04EPCGMFLL",
            "slack:C045V0VJT16",
            "1670625739.704049",
            "slack:U043H11ES4V",
            False,
            None,
        ),
        (
            "events_zulip_message_with_normal_text.json",
            "Ev079SP4TP1P",
            "slack:C06NRA6JLER",
            "1719209506.817929",
            "slack:U06NU4E26M9",
            False,
            None,
        ),
        (
            "events_message_file_share.json",
            "Ev04EEHX2PSS",
            "slack:D0442US94JD",
            "1670631527.874149",
            "slack:U043H11ES4V",
            False,
            None,
        ),
        (
            "events_botMessage.json",
            "Ev043VFLT545",
            "slack:C043YJGBY49",
            "1664216870.477049",
            "slack:U0442US8QGH",
            True,
            "1664216109.798919",
        ),
        (
            "events_message_subtype_bot_message.json",
            "Ev07JQHFTAKH",
            "slack:C07KH38CR5E",
            "1724955010.440469",
            "slack:B07JWPS5Y5S",
            True,
            None,
        ),
        (
            "events_github_with_link.json",
            "Ev07U5U3EQCV",
            "slack:C07LRFB3C8M",
            "1730339959.644979",
            "slack:U07M725KAD7",
            True,
            None,
        ),
    ],
)
def test_recorded_messages_become_message_posted(
    fixture: str,
    event_id: str,
    channel: str,
    message_id: str,
    author: str,
    is_bot: bool,
    thread_parent: str | None,
) -> None:
    payload = load(fixture)
    event = translate(payload)
    assert isinstance(event, MessagePosted)
    assert (event.event_id, event.channel, event.message_id) == (event_id, channel, message_id)
    assert (event.author.id, event.author.is_bot) == (author, is_bot)
    assert event.thread_parent == thread_parent
    assert event.text == payload["event"]["text"]
    assert event.at.timestamp() == pytest.approx(float(message_id))


def test_inner_event_without_envelope_gets_a_deterministic_key() -> None:
    inner = load("events_link.json")["event"]
    first, again = translate(inner), translate(dict(inner))
    assert isinstance(first, MessagePosted)
    assert isinstance(again, MessagePosted)
    assert first.event_id == again.event_id == "slack:message:C043YJGBY49:1663978925.099999"


def test_link_edit_that_only_adds_an_unfurl_is_unfurls_added() -> None:
    """reliability row 5: an unfurl-only message_changed adds no new text, only previews."""
    event = translate(load("events_messageChange.json"))
    assert isinstance(event, UnfurlsAdded)
    assert event.event_id == "Ev043QRVT9FD"
    assert event.message_id == "1663969333.524439"
    assert event.unfurls[0].url == (
        "https://jadeapptesting.slack.com/archives/C043YJGBY49/p1663966292304369"
    )
    assert event.unfurls[0].description == "asdfhlkfasdlhsdf"


def test_text_change_is_message_edited_with_new_text() -> None:
    """reliability row 5: an edit updates the text (new text lives in event.message)."""
    payload = load("events_messageChange.json")
    payload["event"]["message"]["text"] = "now with <https://example.org/a|a link>"
    payload["event"]["message"]["edited"] = {"user": "U043H11ES4V", "ts": "1663969400.000000"}
    event = translate(payload)
    assert isinstance(event, MessageEdited)
    assert event.text == "now with <https://example.org/a|a link>"
    assert event.edited_at.timestamp() == 1663969400
    assert event.author == Author(id="slack:U043H11ES4V")


def test_message_deleted_names_the_deleted_ts() -> None:
    """reliability row 5: delete withdraws the message named by deleted_ts."""
    event = translate(load("events_message_deleted.json"))
    assert isinstance(event, MessageDeleted)
    assert (event.channel, event.message_id) == ("slack:C043YJGBY49", "1663966382.046509")


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("reaction_added", ReactionAdded),
        ("reaction_removed", ReactionRemoved),
    ],
)
def test_reactions(kind: str, cls: type[ReactionAdded | ReactionRemoved]) -> None:
    payload = load("events_reaction_added.json")
    payload["event"]["type"] = kind
    event = translate(payload)
    assert isinstance(event, cls)
    assert (event.channel, event.message_id) == ("slack:D2AQCJCQ2", "1477958101.000004")
    assert (event.user.id, event.emoji) == ("slack:U27FFLNF4", "grinning")
    # the recorded payload has no envelope event_id: the key is built from the fact
    assert event.event_id == f"slack:{kind}:D2AQCJCQ2:1477958101.000004:U27FFLNF4:grinning"


@pytest.mark.parametrize(
    ("raw", "base"),
    [
        ("+1::skin-tone-2", "+1"),
        ("white_check_mark", "white_check_mark"),
        ("raised_hands::skin-tone-6", "raised_hands"),
        ("skin-tone-2", "skin-tone-2"),
    ],
)
def test_skin_tones_are_normalised(raw: str, base: str) -> None:
    assert base_emoji(raw) == base


@pytest.mark.parametrize("fixture", ["events_joinChannel.json", "events_app_home_opened_home.json"])
def test_events_linkletter_does_not_curate_are_ignored(fixture: str) -> None:
    assert translate(load(fixture)) is None


def test_export_message_unfurls_become_neutral_unfurls() -> None:
    message = load("message_with_links.json")
    events = list(history_events("C1", message))
    assert isinstance(events[0], MessagePosted)
    assert events[0].unfurls == (
        Unfurl(
            url="https://chat.zulip.org/",
            title="Public view of Zulip Community | Zulip team chat",
            description=(
                "Browse the publicly accessible channels in Zulip Community without logging in."
            ),
            image_url="https://chat.zulip.org/user_avatars/2/realm/icon.png?version=3",
            site_name="Zulip",
        ),
    )


def test_thread_replies_and_broadcast_are_one_post_each() -> None:
    """reliability row 5: a thread broadcast is the reply itself, counted once."""
    messages = load("thread_with_broadcast_reply.json")
    events = [e for m in messages for e in history_events("C1", m)]
    assert [(e.message_id, e.thread_parent) for e in events if isinstance(e, MessagePosted)] == [
        ("1434139102.000002", None),
        ("1434139103.000002", "1434139102.000002"),
        ("1434139104.000002", "1434139102.000002"),
    ]
    assert len({e.event_id for e in events}) == 3


def test_history_reactions_become_one_event_per_user() -> None:
    message = {
        **load("normal_thread.json")[0],
        "reactions": [
            {"name": "white_check_mark", "users": ["U1", "U2"], "count": 2},
            {"name": "+1::skin-tone-3", "users": ["U3"], "count": 1},
        ],
    }
    reactions = [e for e in history_events("C9", message) if isinstance(e, ReactionAdded)]
    assert [(r.user.id, r.emoji) for r in reactions] == [
        ("slack:U1", "white_check_mark"),
        ("slack:U2", "white_check_mark"),
        ("slack:U3", "+1"),
    ]
    assert all(r.message_id == message["ts"] for r in reactions)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e.pop("ts"), "'ts'"),
        (lambda e: e.update(ts="yesterday"), "not a Slack timestamp"),
        (lambda e: e.pop("channel"), "'channel'"),
        (lambda e: e.update(text=42), "'text'"),
        (lambda e: e.pop("user"), "neither"),
    ],
)
def test_malformed_message_names_its_event_id(mutate: Any, reason: str) -> None:
    payload = load("events_link.json")
    mutate(payload["event"])
    with pytest.raises(MalformedEvent, match=reason) as caught:
        translate(payload)
    assert caught.value.event_id == "Ev043R67DQ1H"


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.sampled_from(
        [
            "message",
            "reaction_added",
            "message_changed",
            "message_deleted",
            "event_callback",
            "1663978925.099999",
            "C1",
            "U1",
            "99999999999999.1",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "subtype",
                    "event",
                    "event_id",
                    "channel",
                    "ts",
                    "user",
                    "text",
                    "message",
                    "previous_message",
                    "deleted_ts",
                    "item",
                    "reaction",
                    "thread_ts",
                    "attachments",
                    "from_url",
                    "bot_id",
                    "edited",
                    "event_ts",
                ]
            ),
            children,
            max_size=8,
        )
    ),
    max_leaves=30,
)


@given(JSON)
def test_arbitrary_json_only_ever_raises_malformed_event(payload: object) -> None:
    with contextlib.suppress(MalformedEvent):
        translate(payload)


@given(
    st.dictionaries(
        st.sampled_from(
            ["ts", "user", "text", "subtype", "thread_ts", "bot_id", "reactions", "attachments"]
        ),
        JSON,
        max_size=8,
    )
)
def test_arbitrary_history_messages_only_ever_raise_malformed_event(
    message: dict[str, Any],
) -> None:
    with contextlib.suppress(MalformedEvent):
        list(history_events("C1", message))


def test_ts_key_orders_positions_exactly() -> None:
    """Seconds and microseconds compared as integers (the fraction padded: ``1.5`` is five
    tenths, after ``1.000006``), not as a float that rounds."""
    stamps = ["1700000000.000010", "1700000000.000009", "1700000001", "1.5", "1.000006"]
    assert sorted(stamps, key=ts_key) == [
        "1.000006",
        "1.5",
        "1700000000.000009",
        "1700000000.000010",
        "1700000001",
    ]
