"""Slack display names: Slack's order on real user objects, ``users.info`` after capture (once
per person), ``user_change`` refreshes, and a failed lookup never costs an event."""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import Any

import pytest

from adapters.slack.translate import display_name, message_event
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import WATCHED, HttpApp, RecordingCore, in_channel, load_fixture


def alice() -> dict[str, Any]:
    """The real user object of ``users_list_with_bots.json`` (display name "alice")."""
    member: dict[str, Any] = load_fixture("users_list_with_bots.json")["members"][0]
    return copy.deepcopy(member)


def test_display_name_then_real_name_then_name() -> None:
    user = alice()
    assert display_name(user) == "alice"
    user["profile"]["display_name"] = " "
    assert display_name(user) == "Alice Johnson"
    user["profile"]["real_name"] = ""
    assert display_name(user) == "alice"  # the user name
    user["name"] = ""
    assert display_name(user) is None


def test_a_message_carrying_its_user_profile_is_named() -> None:
    """The real export message has ``user_profile`` with an empty display name."""
    message = load_fixture("message_with_links.json")
    assert message_event(WATCHED, message).author.name == "Peter"


def link_from(user: str, ts: str) -> dict[str, Any]:
    payload = in_channel(load_fixture("events_link.json"))
    payload["event"] |= {"user": user, "ts": ts, "event_ts": ts}
    payload["event_id"] = f"Ev{user}{ts.replace('.', '')}"
    return payload


async def test_sharers_are_named_after_capture_with_one_lookup_each(
    fake: FakeSlack, core: RecordingCore, http_app: HttpApp
) -> None:
    fake.add_user("UANN", "ann", real_name="Ann Example")
    for ts in ("1700000001.000100", "1700000002.000100"):
        assert await fake.post_event(http_app.url, link_from("UANN", ts)) == 200
    await fake.wait_for(lambda: core.names.get("slack:UANN") == "Ann Example")
    await fake.wait_for(lambda: len(core.events) == 2)
    await asyncio.sleep(0.2)
    assert [call.args["user"] for call in fake.calls_to("users.info")] == ["UANN"]


async def test_an_unknown_user_is_logged_and_their_event_kept(
    fake: FakeSlack, core: RecordingCore, http_app: HttpApp, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="adapters.slack.names"):
        assert await fake.post_event(http_app.url, link_from("UGONE", "1700000003.000100")) == 200
        await fake.wait_for(lambda: len(fake.calls_to("users.info")) == 1)
        await fake.wait_for(lambda: "user_not_found" in caplog.text)
    assert len(core.events) == 1
    assert core.names == {}


async def test_user_change_renames(fake: FakeSlack, core: RecordingCore, http_app: HttpApp) -> None:
    user = alice()
    user["profile"]["display_name"] = "Alice J."
    payload = copy.deepcopy(load_fixture("events_link.json"))
    payload["event"] = {"type": "user_change", "user": user, "event_ts": "1700000004.000100"}
    payload["event_id"] = "EvUSERCHANGE1"
    assert await fake.post_event(http_app.url, payload) == 200
    await fake.wait_for(lambda: core.names.get("slack:U023BECGF") == "Alice J.")
