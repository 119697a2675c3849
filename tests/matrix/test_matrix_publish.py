"""Publishing to a real Synapse: the payloads as the room shows them, exactly once across a
kill -9 between posting and recording, stable transaction ids, and a 429 storm waited out."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.matrix.client import txn_id
from adapters.matrix.publisher import DELIVERY_KEY, MatrixPublisher
from adapters.matrix.rooms import Rooms
from adapters.matrix.settings import connected
from adapters.matrix.translate import ref
from bot.curate.service import CurationService
from bot.deliver.engine import LEASE
from storage.db import Database
from tests.matrix.conftest import config_for, settings_for
from tests.matrix.publishing import approved_items, engine_for, this_week
from tests.matrix.support import items
from tests.matrix.synapse import Synapse, User

EDITOR = "matrix:@editor:linkletter.test"


def notices(user: User, room: str) -> list[dict[str, Any]]:
    return [
        e["content"]
        for e in user.messages(room, limit=200)
        if e["type"] == "m.room.message" and DELIVERY_KEY in e["content"]
    ]


async def test_publish_exactly_once_across_a_kill_9(
    homeserver: Synapse, alice: User, bot_account: User, sqlite_db: Database, tmp_path: Path
) -> None:
    room = alice.create_room(invite=(bot_account.user_id,))
    bot_account.join(room)
    source = alice.create_room(invite=(bot_account.user_id,))
    toml = config_for([ref(source)], [ref(room)], [EDITOR])
    config_file = tmp_path / "linkletter.toml"
    config_file.write_text(
        f'[[digest]]\nname = "weekly"\ntitle = "Weekly — Issue {{number}}"\n'
        f'sources = ["{ref(source)}"]\npublish_to = ["{ref(room)}"]\neditors = ["{EDITOR}"]\n'
    )
    core = CurationService(toml, sqlite_db)
    await approved_items(core, ref(source), EDITOR, 30)
    period = this_week()

    arguments = [str(sqlite_db.engine.url), str(config_file), homeserver.url, bot_account.token]
    died = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.matrix.publishing", *arguments, period
    )
    await asyncio.wait_for(died.wait(), 120)
    assert died.returncode == -9
    assert len(notices(alice, room)) == 1  # the first part went out, unrecorded

    async with connected(settings_for(homeserver, bot_account)) as client:
        publisher = MatrixPublisher(client, Rooms(client), bot_account.user_id)
        restarted = engine_for(toml, sqlite_db, publisher, clock_ahead=LEASE + timedelta(seconds=1))
        report = await restarted.publish("weekly", period)
    assert report.outcome == "published"

    posted = notices(alice, room)
    keys = [content[DELIVERY_KEY] for content in posted]
    assert len(posted) >= 3
    assert len(set(keys)) == len(keys)  # every part once
    assert "Weekly — Issue 1" in posted[0]["body"]
    assert "(part 2 of" in posted[1]["body"]
    for content in posted:
        assert content["m.mentions"] == {}
        assert content["msgtype"] == "m.notice"
        assert content["format"] == "org.matrix.custom.html"
    assert {i.status for i in items(sqlite_db)} == {"published"}


async def test_a_retried_send_with_the_same_key_is_the_same_event(
    homeserver: Synapse, alice: User, bot_account: User
) -> None:
    room = alice.create_room(invite=(bot_account.user_id,))
    bot_account.join(room)
    async with connected(settings_for(homeserver, bot_account)) as client:
        publisher = MatrixPublisher(client, Rooms(client), bot_account.user_id)
        payload = {"msgtype": "m.notice", "body": "hello @room"}
        first = await publisher.post(ref(room), payload, "weekly:1:room:0")
        again = await publisher.post(ref(room), payload, "weekly:1:room:0")
        found = await publisher.find_posted(ref(room), "weekly:1:room:0")
        missing = await publisher.find_posted(ref(room), "weekly:1:room:1")
    assert first == again == found
    assert missing is None
    assert txn_id("weekly:1:room:0") == txn_id("weekly:1:room:0") != txn_id("weekly:1:room:1")
    assert len(notices(alice, room)) == 1


async def test_a_429_storm_is_waited_out(
    homeserver: Synapse, alice: User, bot_account: User
) -> None:
    room = alice.create_room(invite=(bot_account.user_id,))
    bot_account.join(room)
    homeserver.set_unlimited(bot_account.user_id, False)
    try:
        async with connected(settings_for(homeserver, bot_account)) as client:
            publisher = MatrixPublisher(client, Rooms(client), bot_account.user_id)
            for n in range(10):
                await publisher.post(ref(room), {"msgtype": "m.notice", "body": f"{n}"}, f"k{n}")
            waits = list(client.api.waits)
    finally:
        homeserver.set_unlimited(bot_account.user_id, True)
    assert [c["body"] for c in notices(alice, room)] == [str(n) for n in range(10)]
    assert waits  # Synapse said 429 (burst 4, then 0.5/s) and the publisher waited
    assert all(0 < wait <= 5 for wait in waits)
