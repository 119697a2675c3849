"""The live connection against a real Synapse: catch-up after downtime (a limited timeline's
gap read back to the checkpoint), invites, a kick, an encrypted room, commands, doctor."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.matrix.connection import SYNC_CHECKPOINT, decode_position
from adapters.matrix.doctor import run_checks
from adapters.matrix.translate import ref
from bot.curate.service import CurationService
from storage.db import Database
from tests.matrix.conftest import Connect, config_for
from tests.matrix.support import eventually, items
from tests.matrix.synapse import Synapse, User


def joined(user: User) -> set[str]:
    return set(user.call("GET", "/joined_rooms")["joined_rooms"])


def env_for(homeserver: Synapse, account: User) -> dict[str, str]:
    return {"MATRIX_HOMESERVER_URL": homeserver.url, "MATRIX_ACCESS_TOKEN": account.token}


async def test_catch_up_after_a_stop_reads_the_whole_gap_once(
    connect: Connect, sqlite_db: Database, alice: User, bot_account: User
) -> None:
    room = alice.create_room(invite=(bot_account.user_id,))
    core = CurationService(config_for([ref(room)], [], []), sqlite_db)
    first = await connect(core)
    alice.say(room, "https://example.org/before")
    await eventually(lambda: len(items(sqlite_db)) == 1)
    await first.stop()

    for n in range(70):  # more than one sync timeline holds (50): the timeline is "limited"
        alice.say(room, f"missed https://example.org/missed/{n}")
    reply_to = alice.say(room, "https://example.org/last")
    alice.reply(room, reply_to, "why this matters: the gap is filled")
    await connect(core)

    urls = [i.canonical_url for i in items(sqlite_db)]
    assert len(urls) == len(set(urls)) == 72
    assert urls[-1] == "https://example.org/last"
    assert items(sqlite_db)[-1].why is not None
    sequence, token = decode_position(await core.checkpoint(SYNC_CHECKPOINT))
    assert sequence >= 2
    assert token


async def test_invites_to_configured_rooms_are_accepted_and_others_declined(
    connect: Connect, sqlite_db: Database, alice: User, bot_account: User
) -> None:
    configured = alice.create_room(public=False)
    stranger = alice.create_room(public=False)
    core = CurationService(config_for([ref(configured)], [], []), sqlite_db)
    await connect(core)

    alice.invite(stranger, bot_account.user_id)
    alice.invite(configured, bot_account.user_id)
    await eventually(lambda: configured in joined(bot_account))
    members = alice.call("GET", f"/rooms/{stranger}/members")["chunk"]
    await eventually(
        lambda: any(
            m["state_key"] == bot_account.user_id and m["content"]["membership"] == "leave"
            for m in alice.call("GET", f"/rooms/{stranger}/members")["chunk"]
        )
    )
    del members
    assert stranger not in joined(bot_account)


async def test_a_kicked_bot_reports_it_and_doctor_says_what_to_fix(
    connect: Connect,
    homeserver: Synapse,
    sqlite_db: Database,
    alice: User,
    bot_account: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    room = alice.create_room(invite=(bot_account.user_id,))
    core = CurationService(config_for([ref(room)], [], []), sqlite_db)
    connection = await connect(core)
    with caplog.at_level(logging.ERROR, logger="adapters.matrix.connection"):
        alice.kick(room, bot_account.user_id)
        await eventually(lambda: room in connection.left)
    assert f"removed from {ref(room)}" in caplog.text

    alice.say(room, "https://example.org/unseen")  # no longer readable by the bot
    checks = await run_checks(env_for(homeserver, bot_account), [ref(room)], [])
    assert [(c.name, c.ok) for c in checks] == [
        ("Matrix token", True),
        (f"{ref(room)} membership", False),
    ]
    assert "invite @linkletter:linkletter.test" in checks[1].fix
    assert items(sqlite_db) == []


async def test_an_encrypted_room_is_reported(
    connect: Connect,
    homeserver: Synapse,
    sqlite_db: Database,
    alice: User,
    bot_account: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    room = alice.create_room(invite=(bot_account.user_id,), encrypted=True)
    core = CurationService(config_for([ref(room)], [], []), sqlite_db)
    with caplog.at_level(logging.ERROR, logger="adapters.matrix.connection"):
        connection = await connect(core)
        await eventually(lambda: room in connection.encrypted_reported)
    assert "end-to-end encrypted" in caplog.text
    checks = {
        c.name: c for c in await run_checks(env_for(homeserver, bot_account), [ref(room)], [])
    }
    assert not checks[f"{ref(room)} encryption"].ok


async def test_doctor_checks_the_token_membership_and_power(
    homeserver: Synapse, alice: User, bot_account: User
) -> None:
    room = alice.create_room(invite=(bot_account.user_id,))
    bot_account.join(room)
    levels_path = f"/rooms/{room}/state/m.room.power_levels/"
    levels: dict[str, Any] = alice.call("GET", levels_path)
    levels.setdefault("events", {})["m.reaction"] = 50
    alice.call("PUT", levels_path, levels)

    checks = await run_checks(env_for(homeserver, bot_account), [ref(room)], [ref(room)])
    assert [(c.name, c.ok) for c in checks] == [
        ("Matrix token", True),
        (f"{ref(room)} membership", True),
        (f"{ref(room)} may post", True),
        (f"{ref(room)} may react", False),
    ]
    assert "power level 50" in checks[-1].fix
    bad = await run_checks(
        {"MATRIX_HOMESERVER_URL": homeserver.url, "MATRIX_ACCESS_TOKEN": "no"}, [], []
    )
    assert [(c.name, c.ok) for c in bad] == [("Matrix token", False)]
    unset = await run_checks({}, [], [])
    assert "MATRIX_HOMESERVER_URL" in unset[0].reason


async def test_commands_are_answered_to_the_caller_with_editor_rights_from_power(
    connect: Connect, sqlite_db: Database, alice: User, bob: User, bot_account: User
) -> None:
    room = alice.create_room(invite=(bot_account.user_id, bob.user_id))
    bob.join(room)
    core = CurationService(config_for([ref(room)], [], ["matrix:power:50"]), sqlite_db)
    await connect(core)
    alice.say(room, "https://example.org/queued")
    await eventually(lambda: len(items(sqlite_db)) == 1)
    item_id = items(sqlite_db)[0].id

    bob.say(room, f"!linkletter approve {item_id}")  # power 0: not an editor
    alice.say(room, f"!linkletter approve {item_id}")  # the room's creator: power 100
    await eventually(lambda: items(sqlite_db)[0].status == "approved")

    def direct_answers(user: User) -> list[str]:
        """What the bot said to ``user`` in their direct rooms (``m.direct``), joined first."""
        path = f"/user/{bot_account.user_id}/account_data/m.direct"
        try:
            direct = bot_account.call("GET", path).get(user.user_id, [])
        except AssertionError:  # no direct rooms yet
            return []
        answers = []
        for direct_room in direct:
            if direct_room not in joined(user):
                user.join(direct_room)
            answers += [
                e["content"]["body"]
                for e in user.messages(direct_room)
                if e["type"] == "m.room.message" and e["sender"] == bot_account.user_id
            ]
        return answers

    answers = await eventually(lambda: direct_answers(bob))
    assert any("editor" in answer.lower() for answer in answers), answers
    assert len(items(sqlite_db)) == 1  # a command is not a share
