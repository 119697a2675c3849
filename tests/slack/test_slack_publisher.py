"""SlackPublisher against the fake: metadata keys, unfurls off, pacing, 429/5xx, receipts."""

from __future__ import annotations

import itertools
import time

import pytest
from slack_sdk.errors import SlackApiError

from adapters.slack.publisher import SlackPublisher
from adapters.slack.settings import make_client
from bot.events import AddReaction, ReplyInThread
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import OTHER, WATCHED, settings_for


@pytest.fixture
def publisher(fake: FakeSlack) -> SlackPublisher:
    return SlackPublisher(make_client(settings_for(fake, socket_mode=False)), min_interval=0.3)


def post_gaps(fake: FakeSlack, channel: str = WATCHED) -> list[float]:
    """Seconds between consecutive chat.postMessage calls to one channel, as the fake saw them."""
    times = [c.at for c in fake.calls_to("chat.postMessage") if c.args["channel"] == channel]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_post_marks_the_message_so_find_posted_sees_it(
    fake: FakeSlack,
    publisher: SlackPublisher,
) -> None:
    ts = await publisher.post(f"slack:{WATCHED}", {"text": "Weekly #12", "blocks": []}, "d:12:1")
    [call] = fake.calls_to("chat.postMessage")
    assert call.args["unfurl_links"] is False
    assert call.args["unfurl_media"] is False
    assert "link_names" not in call.args
    assert "parse" not in call.args
    assert await publisher.find_posted(f"slack:{WATCHED}", "d:12:1") == ts
    assert await publisher.find_posted(f"slack:{WATCHED}", "d:12:2") is None
    assert await publisher.find_posted(f"slack:{OTHER}", "d:12:1") is None


async def test_previews_stay_off_whatever_the_payload_says(
    fake: FakeSlack,
    publisher: SlackPublisher,
) -> None:
    await publisher.post(f"slack:{WATCHED}", {"text": "x", "unfurl_links": True}, "k")
    assert fake.calls_to("chat.postMessage")[0].args["unfurl_links"] is False


async def test_find_posted_pages_through_history(fake: FakeSlack) -> None:
    client = make_client(settings_for(fake, socket_mode=False))
    publisher = SlackPublisher(client, min_interval=0.0)
    first = await publisher.post(f"slack:{WATCHED}", {"text": "part 1"}, "k1")
    for number in range(250):
        fake.add_message(WATCHED, {"user": "U2", "text": f"chat {number}", "ts": fake.next_ts()})
    assert await publisher.find_posted(f"slack:{WATCHED}", "k1") == first
    assert len(fake.calls_to("conversations.history")) == 2


@pytest.mark.parametrize("option", ["link_names", "parse"])
async def test_refuses_options_that_rearm_mentions(
    fake: FakeSlack,
    publisher: SlackPublisher,
    option: str,
) -> None:
    """reliability row 10: never post with link_names or parse=full."""
    with pytest.raises(ValueError, match=option):
        await publisher.post(f"slack:{WATCHED}", {"text": "x", option: "full"}, "k")
    assert fake.calls_to("chat.postMessage") == []


async def test_posts_to_one_channel_are_spaced_other_channels_are_not(
    fake: FakeSlack,
    publisher: SlackPublisher,
) -> None:
    """reliability row 6: Slack posts are at least min_interval apart per channel."""
    started = time.monotonic()
    await publisher.post(f"slack:{WATCHED}", {"text": "1"}, "a")
    await publisher.post(f"slack:{OTHER}", {"text": "2"}, "b")
    assert time.monotonic() - started < 0.3
    await publisher.post(f"slack:{WATCHED}", {"text": "3"}, "c")
    assert post_gaps(fake) == [pytest.approx(0.3, abs=0.1)]
    assert post_gaps(fake)[0] >= 0.3


async def test_default_spacing_is_one_second(fake: FakeSlack) -> None:
    """reliability row 6: ≥ 1 s between posts to the same Slack channel by default."""
    publisher = SlackPublisher(make_client(settings_for(fake, socket_mode=False)))
    for text in ("1", "2"):
        await publisher.post(f"slack:{WATCHED}", {"text": text}, text)
    assert post_gaps(fake) == [pytest.approx(1.0, abs=0.15)]


async def test_rate_limited_post_waits_for_retry_after(
    fake: FakeSlack,
    publisher: SlackPublisher,
) -> None:
    """reliability row 6: a 429 with Retry-After is honoured before the next call."""
    fake.fail_next("chat.postMessage", 429, retry_after=1)
    await publisher.post(f"slack:{WATCHED}", {"text": "digest"}, "k")
    assert len(fake.calls_to("chat.postMessage")) == 2
    assert post_gaps(fake)[0] >= 1.0
    assert len(fake.bot_posts(WATCHED)) == 1


async def test_gives_up_after_three_rate_limit_retries(
    fake: FakeSlack,
    publisher: SlackPublisher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """reliability row 6: ≤ 3 retries."""
    fake.fail_next("chat.postMessage", 429, retry_after=0, times=10)
    monkeypatch.setattr("random.random", lambda: 0.0)  # the SDK adds jitter to Retry-After
    with pytest.raises(SlackApiError):
        await publisher.post(f"slack:{WATCHED}", {"text": "digest"}, "k")
    assert len(fake.calls_to("chat.postMessage")) == 4


async def test_server_errors_are_retried(fake: FakeSlack, publisher: SlackPublisher) -> None:
    fake.fail_next("chat.postMessage", 503)
    await publisher.post(f"slack:{WATCHED}", {"text": "digest"}, "k")
    assert len(fake.bot_posts(WATCHED)) == 1


async def test_receipt_reaction_uses_slack_names_and_tolerates_repeats(
    fake: FakeSlack,
    publisher: SlackPublisher,
) -> None:
    message = fake.add_message(WATCHED, {"user": "U2", "text": "x", "ts": fake.next_ts()})
    effect = AddReaction(f"slack:{WATCHED}", message["ts"], "📥")
    await publisher.apply(effect)
    await publisher.apply(effect)  # already_reacted is not an error
    assert message["reactions"] == [{"name": "inbox_tray", "users": [fake.bot_user_id], "count": 1}]


async def test_thread_reply_receipt_is_escaped(fake: FakeSlack, publisher: SlackPublisher) -> None:
    """reliability row 10: text that reaches Slack cannot ping or disguise links."""
    await publisher.apply(
        ReplyInThread(
            f"slack:{WATCHED}",
            "1700000000.000001",
            "Already queued: <!channel> <@U1> <https://evil|ok>",
        )
    )
    [reply] = fake.bot_posts(WATCHED)
    assert reply["thread_ts"] == "1700000000.000001"
    assert reply["text"] == ("Already queued: &lt;!channel&gt; &lt;@U1&gt; &lt;https://evil|ok&gt;")


async def test_direct_message_opens_a_dm(fake: FakeSlack, publisher: SlackPublisher) -> None:
    await publisher.direct_message("slack:UEDITOR", {"text": "Preview"})
    assert fake.calls_to("conversations.open")[0].args["users"] == "UEDITOR"
    assert fake.bot_posts("DUEDITOR")[0]["text"] == "Preview"
