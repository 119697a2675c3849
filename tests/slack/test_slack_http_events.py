"""The real bolt app behind ``POST /slack/events``, driven by the fake Slack's signed deliveries."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.events import MessagePosted, UnfurlsAdded
from tests.slack.fake_slack import SIGNING_SECRET, FakeSlack
from tests.slack.helpers import OTHER, WATCHED, HttpApp, RecordingCore, in_channel, load_fixture


async def test_signed_event_is_handled_and_gets_a_receipt(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
) -> None:
    """reliability row 1: a valid signature -> 200."""
    status = await fake.post_event(http_app.url, in_channel(load_fixture("events_link.json")))
    assert status == 200
    await fake.wait_for(lambda: len(fake.calls_to("reactions.add")) == 1)
    [event] = core.events
    assert isinstance(event, MessagePosted)
    assert (event.event_id, event.channel) == ("Ev043R67DQ1H", f"slack:{WATCHED}")
    reaction = fake.calls_to("reactions.add")[0].args
    assert (reaction["channel"], reaction["timestamp"], reaction["name"]) == (
        WATCHED,
        event.message_id,
        "inbox_tray",
    )


@pytest.mark.parametrize(
    ("secret", "age"),
    [
        ("not-the-secret", 0),  # bad HMAC
        (None, 0),  # unsigned: no signature headers at all
        (SIGNING_SECRET, 301),  # stale timestamp, just past the 300 s window
        (SIGNING_SECRET, -301),  # from the future
    ],
)
async def test_unverifiable_requests_are_refused_before_any_handler(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
    secret: str | None,
    age: int,
) -> None:
    """reliability row 1: bad HMAC, missing header, timestamp off by 301 s -> 401, no handler."""
    payload = in_channel(load_fixture("events_link.json"))
    status = await fake.post_event(
        http_app.url, payload, secret=secret, timestamp=int(time.time()) - age
    )
    assert status == 401
    await asyncio.sleep(0.2)
    assert core.deliveries == []
    assert fake.calls_to("auth.test") == []  # bolt stopped before even authorising


@pytest.mark.parametrize("retries", [(0, 1, 2, 3), (2,), (3, 1)])
async def test_every_copy_reaches_the_core_and_one_effect_results(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
    retries: tuple[int, ...],
) -> None:
    """reliability rows 3 and 4: retries are not dropped (the retry may be the only copy);
    the core's event_id dedup leaves one effect."""
    payload = in_channel(load_fixture("events_link.json"))
    for retry in retries:
        number = retry or None  # Slack sends no retry header on the first delivery
        assert await fake.post_event(http_app.url, payload, retry_num=number) == 200
    await fake.wait_for(lambda: len(core.deliveries) == len(retries))
    assert [e.event_id for e in core.events] == ["Ev043R67DQ1H"]
    await asyncio.sleep(0.1)
    assert len(fake.calls_to("reactions.add")) == 1


async def test_unwatched_channels_and_own_messages_never_reach_the_core(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
) -> None:
    """reliability row 5: the bot's own messages are ignored (bolt drops self events)."""
    elsewhere = in_channel(load_fixture("events_link.json"), OTHER)
    own = in_channel(load_fixture("events_botMessage.json"))
    own["event"] |= {"bot_id": fake.bot_id, "user": fake.bot_user_id}
    own["event_id"] = "EvOWN"
    marker = in_channel(load_fixture("events_zulip_message_with_normal_text.json"))
    for payload in (elsewhere, own, marker):
        assert await fake.post_event(http_app.url, payload) == 200
    await fake.wait_for(lambda: len(core.events) == 1)
    assert core.events[0].event_id == marker["event_id"]


async def test_subtypes_arrive_as_their_neutral_events(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
) -> None:
    """reliability row 5: unfurl-only change, delete, other bots' posts, thread broadcast."""
    broadcast = in_channel(load_fixture("events_link.json"))
    broadcast["event_id"] = "EvBROADCAST"
    broadcast["event"] |= {"subtype": "thread_broadcast", "thread_ts": "1663978000.000100"}
    names = [
        "events_messageChange.json",
        "events_message_deleted.json",
        "events_github_with_link.json",
    ]
    for payload in [*(in_channel(load_fixture(n)) for n in names), broadcast]:
        assert await fake.post_event(http_app.url, payload) == 200
    await fake.wait_for(lambda: len(core.events) == 4)
    kinds = {e.event_id: type(e).__name__ for e in core.events}
    assert kinds == {
        "Ev043QRVT9FD": "UnfurlsAdded",
        "Ev043QRVT9FE": "MessageDeleted",
        "Ev07U5U3EQCV": "MessagePosted",
        "EvBROADCAST": "MessagePosted",
    }
    unfurled = next(e for e in core.events if isinstance(e, UnfurlsAdded))
    assert [u.url for u in unfurled.unfurls] == [
        "https://jadeapptesting.slack.com/archives/C043YJGBY49/p1663966292304369",
    ]
    bot_post = next(e for e in core.events if e.event_id == "Ev07U5U3EQCV")
    assert isinstance(bot_post, MessagePosted)
    assert bot_post.author.is_bot


async def test_malformed_event_is_logged_with_its_id_and_dropped(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = in_channel(load_fixture("events_link.json"))
    broken["event_id"] = "EvBROKEN"
    del broken["event"]["ts"]
    good = in_channel(load_fixture("events_zulip_message_with_normal_text.json"))
    with caplog.at_level(logging.WARNING, logger="adapters.slack.connection"):
        assert await fake.post_event(http_app.url, broken) == 200
        assert await fake.post_event(http_app.url, good) == 200
        await fake.wait_for(lambda: len(core.events) == 1)
    assert core.events[0].event_id == good["event_id"]
    assert "EvBROKEN" in caplog.text


async def test_acks_stay_fast_while_the_core_is_stalled(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
) -> None:
    """reliability row 2: with the core stalled, every delivery is still acked well within 1 s."""
    core.gate = asyncio.Event()
    base = in_channel(load_fixture("events_link.json"))
    durations = []
    for number in range(20):
        payload = {
            **base,
            "event_id": f"EvSTALL{number}",
            "event": {**base["event"], "ts": f"1663978925.{number:06d}"},
        }
        started = time.monotonic()
        assert await fake.post_event(http_app.url, payload) == 200
        durations.append(time.monotonic() - started)
    assert max(durations) < 1.0
    core.gate.set()
    await fake.wait_for(lambda: len(core.events) == 20)
    assert core.batches == [1, 19]  # what queued up behind the stall goes in one transaction
    await fake.wait_for(lambda: len(fake.calls_to("reactions.add")) == 20)  # a receipt each


async def test_a_rate_limited_receipt_does_not_hold_up_capture(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
) -> None:
    """Slack answers the first receipt with 429 and Retry-After: 2; the SDK waits it out on the
    receipts task while the next events are captured."""
    fake.fail_next("reactions.add", 429, retry_after=2)
    base = in_channel(load_fixture("events_link.json"))
    for number in range(5):
        payload = {
            **base,
            "event_id": f"EvLIMIT{number}",
            "event": {**base["event"], "ts": f"1663978926.{number:06d}"},
        }
        assert await fake.post_event(http_app.url, payload) == 200
        await asyncio.sleep(0.05)  # one by one: each event is its own batch
    started = time.monotonic()
    await fake.wait_for(lambda: len(core.events) == 5)
    assert time.monotonic() - started < 1.0  # not behind the 2 s wait of the first receipt
    assert len(fake.calls_to("reactions.add")) < 5  # the receipts are still waiting
    await fake.wait_for(lambda: len(fake.calls_to("reactions.add")) == 6)


async def test_url_verification_challenge_is_answered(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
) -> None:
    """Slack's check when the Request URL is saved in the app settings (HTTP mode)."""
    challenge = load_fixture("events_url_challenge.json")
    status, body = await fake.deliver(http_app.url, challenge)
    assert status == 200
    assert challenge["challenge"] in body
    assert core.deliveries == []


async def test_events_linkletter_does_not_use_are_still_acknowledged(
    fake: FakeSlack,
    core: RecordingCore,
    http_app: HttpApp,
) -> None:
    """A non-2xx answer makes Slack retry, and failing subscriptions get disabled."""
    created = load_fixture("events_createChannel.json")
    assert await fake.post_event(http_app.url, created) == 200
    assert core.deliveries == []
