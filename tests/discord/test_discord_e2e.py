"""The real discord.py client against the fake Discord, through the gateway and REST."""

from __future__ import annotations

import asyncio

from bot.events import (
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    UnfurlsAdded,
)
from tests.discord.fake_discord import FakeDiscord
from tests.discord.support import (
    EDITOR,
    EDITOR_ROLE,
    MEMBER,
    OTHER_MEMBER,
    UNWATCHED,
    WATCHED,
    BotFactory,
    RecordingCore,
    settle,
)


async def test_links_replies_edits_deletes_and_receipts(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    client = await start_bot(core)
    share = fake.user_says(WATCHED, MEMBER, "read https://example.org/post?utm_source=x")
    fake.user_says(UNWATCHED, MEMBER, "elsewhere https://example.org/other")
    reply = fake.user_says(WATCHED, EDITOR, "why this matters: it is good", reply_to=share["id"])
    fake.unfurl(
        WATCHED,
        share["id"],
        [
            {
                "type": "article",
                "url": "https://example.org/post",
                "title": "Post",
                "provider": {"name": "Example"},
            }
        ],
    )
    fake.edit(WATCHED, share["id"], "read https://example.org/better")
    fake.delete(WATCHED, reply["id"])
    await settle(client)

    posted = core.of_type(MessagePosted)
    assert [p.message_id for p in posted] == [share["id"], reply["id"]]
    assert posted[0].author.id == f"discord:{MEMBER}"
    assert posted[1].thread_parent == share["id"]
    assert f"discord:role:{EDITOR_ROLE}" in posted[1].author.roles
    (unfurl,) = core.of_type(UnfurlsAdded)
    assert unfurl.unfurls[0].title == "Post"
    (edit,) = core.of_type(MessageEdited)
    assert edit.text == "read https://example.org/better"
    (deleted,) = core.of_type(MessageDeleted)
    assert deleted.message_id == reply["id"]
    assert fake.reactions_put == [(WATCHED, share["id"], "📥")]
    assert core.checkpoints[f"discord:{WATCHED}"] == reply["id"]


async def test_a_rate_limited_receipt_does_not_hold_up_capture(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    """The receipt waits out its 429 on its own task; the next share is captured meanwhile."""
    await start_bot(core)
    fake.rate_limit_next("/reactions/", retry_after=2.0)
    first = fake.user_says(WATCHED, MEMBER, "https://example.org/first")
    await fake.wait_for(lambda: any("/reactions/" in path for _method, path in fake.requests))
    loop = asyncio.get_running_loop()
    started = loop.time()
    second = fake.user_says(WATCHED, MEMBER, "https://example.org/second")
    await fake.wait_for(lambda: second["id"] in [p.message_id for p in core.of_type(MessagePosted)])
    assert loop.time() - started < 1.0
    assert fake.reactions_put == []  # the first receipt is still waiting out its 429
    await fake.wait_for(lambda: len(fake.reactions_put) == 2)
    assert fake.reactions_put == [(WATCHED, first["id"], "📥"), (WATCHED, second["id"], "📥")]


async def test_thread_messages_count_under_the_watched_parent(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    client = await start_bot(core)
    starter = fake.user_says(WATCHED, MEMBER, "https://example.org/thread-me")
    thread = fake.add_thread(WATCHED, starter["id"])
    in_thread = fake.user_says(thread["id"], EDITOR, "why: because")
    await settle(client)

    last = core.of_type(MessagePosted)[-1]
    assert (last.message_id, last.channel, last.thread_parent) == (
        in_thread["id"],
        f"discord:{WATCHED}",
        starter["id"],
    )


async def test_uncached_thread_is_looked_up_once(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    client = await start_bot(core)
    starter = fake.user_says(WATCHED, MEMBER, "https://example.org/quiet-thread")
    thread = fake.add_thread(WATCHED, starter["id"], announce=False)
    fake.user_says(thread["id"], EDITOR, "why: one")
    fake.user_says(thread["id"], MEMBER, "why: two")
    await settle(client)

    replies = core.of_type(MessagePosted)[1:]
    assert [(r.channel, r.thread_parent) for r in replies] == [
        (f"discord:{WATCHED}", starter["id"]),
        (f"discord:{WATCHED}", starter["id"]),
    ]
    assert fake.requests.count(("GET", f"/channels/{thread['id']}")) == 1


async def test_reactions_by_editors_and_others_on_uncached_message(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    """reliability row 7: a reaction on a message discord.py never cached is captured, and no
    REST request is made for it."""
    old = fake.user_says(WATCHED, MEMBER, "before the bot started https://example.org/a")
    client = await start_bot(core)
    requests_before = len(fake.requests)
    fake.react(WATCHED, old["id"], EDITOR, "✅")
    fake.react(WATCHED, old["id"], OTHER_MEMBER, "✅")
    fake.unreact(WATCHED, old["id"], EDITOR, "✅")
    fake.react(WATCHED, old["id"], EDITOR, "✅")
    await settle(client)

    added = core.of_type(ReactionAdded)
    assert [(r.user.id, core.is_editor(r.user)) for r in added] == [
        (f"discord:{EDITOR}", True),
        (f"discord:{OTHER_MEMBER}", False),
        (f"discord:{EDITOR}", True),
    ]
    assert len({r.event_id for r in added}) == 3
    (removed,) = core.of_type(ReactionRemoved)
    assert removed.user.id == f"discord:{EDITOR}"
    assert fake.requests[requests_before:] == []


async def test_restart_recovers_missed_messages_and_reactions(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    """reliability row 9: messages (and reactions) posted while the bot was down come back
    from history after the checkpoint, each exactly once."""
    first = await start_bot(core)
    seen = fake.user_says(WATCHED, MEMBER, "https://example.org/seen")
    await settle(first)
    await first.close()

    missed = [fake.user_says(WATCHED, MEMBER, f"https://example.org/missed/{i}") for i in range(3)]
    fake.react(WATCHED, missed[0]["id"], EDITOR, "✅")
    await start_bot(core)

    posted = [p.message_id for p in core.of_type(MessagePosted)]
    assert posted == [seen["id"]] + [m["id"] for m in missed]
    (vote,) = core.of_type(ReactionAdded)
    assert (vote.message_id, vote.user.roles) == (
        missed[0]["id"],
        (f"discord:role:{EDITOR_ROLE}",),
    )
    assert core.checkpoints[f"discord:{WATCHED}"] == missed[-1]["id"]


async def test_restart_recovers_missed_thread_replies(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    """reliability row 9: a why-reply in an active thread posted while down is recovered."""
    first = await start_bot(core)
    starter = fake.user_says(WATCHED, MEMBER, "https://example.org/discuss")
    await settle(first)
    await first.close()

    thread = fake.add_thread(WATCHED, starter["id"])
    reply = fake.user_says(thread["id"], EDITOR, "why this matters: it is the fix")
    await start_bot(core)

    recovered = core.of_type(MessagePosted)[-1]
    assert (recovered.message_id, recovered.channel, recovered.thread_parent) == (
        reply["id"],
        f"discord:{WATCHED}",
        starter["id"],
    )
    assert core.checkpoints[f"discord:{thread['id']}"] == reply["id"]


async def test_invalid_session_backfills_and_resume_does_not(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    """reliability row 9: a failed resume (INVALID_SESSION d=false) loses dispatches; the new
    session's READY triggers a backfill that recovers them. A successful RESUME replays."""
    client = await start_bot(core)
    fake.user_says(WATCHED, MEMBER, "https://example.org/one")
    await settle(client)

    await fake.drop()
    lost_in_resume = fake.user_says(WATCHED, MEMBER, "https://example.org/two")
    await fake.wait_for(lambda: fake.ops[6] == 1)
    await settle(client)
    assert client.backfills == 1

    await fake.invalidate_session()
    lost = fake.user_says(WATCHED, MEMBER, "https://example.org/three")
    await fake.wait_for(lambda: client.backfills == 2)
    await client.caught_up.wait()
    await settle(client)

    posted = [p.message_id for p in core.of_type(MessagePosted)]
    assert posted[-2:] == [lost_in_resume["id"], lost["id"]]
    assert len(posted) == len(set(posted)) == 3
    assert fake.ops[2] == 2  # IDENTIFY: start and after the invalid session only
