"""Capture against a real Synapse, through the real core on a SQLite file: links in bodies and
HTML, thread whys, edits, redactions, reactions and their removal, receipts, display names."""

from __future__ import annotations

from adapters.matrix.translate import ref
from bot.curate.service import CurationService
from storage.db import Database
from storage.repo import Repo
from tests.matrix.conftest import Connect, config_for
from tests.matrix.support import eventually, items
from tests.matrix.synapse import User


async def test_shares_whys_edits_redactions_and_reactions(
    connect: Connect, sqlite_db: Database, alice: User, bob: User, bot_account: User
) -> None:
    room = alice.create_room(invite=(bot_account.user_id, bob.user_id))
    bob.join(room)
    alice.set_power(room, bob.user_id, 50)
    config = config_for([ref(room)], [], ["matrix:power:50"])
    core = CurationService(config, sqlite_db)
    connection = await connect(core)

    share = alice.say_html(
        room,
        "Worth reading: this post",
        'Worth reading: <a href="https://example.org/post?utm_source=mx">this post</a>',
    )
    bob.in_thread(room, share, "why this matters: it explains the outage")
    bob.react(room, share, "👍")
    approval = bob.react(room, share, "✅")
    mistake = alice.say(room, "https://example.org/oops")
    alice.edit(room, mistake, "https://example.org/oops-fixed")
    gone = alice.say(room, "https://example.org/gone")
    await eventually(lambda: len(items(sqlite_db)) == 4)
    alice.redact(room, gone)  # after capture: a message redacted before arrives empty
    await eventually(lambda: items(sqlite_db)[3].status == "withdrawn")
    await eventually(lambda: items(sqlite_db)[0].status == "approved")

    post, oops, fixed, deleted = items(sqlite_db)
    assert post.canonical_url == "https://example.org/post"
    assert post.why is not None
    assert "outage" in post.why
    assert [(i.canonical_url, i.status) for i in (oops, fixed, deleted)] == [
        ("https://example.org/oops", "withdrawn"),
        ("https://example.org/oops-fixed", "draft"),
        ("https://example.org/gone", "withdrawn"),
    ]
    receipt = {"rel_type": "m.annotation", "event_id": share, "key": "📥"}
    await eventually(
        lambda: any(
            e["type"] == "m.reaction"
            and e["sender"] == bot_account.user_id
            and e["content"]["m.relates_to"] == receipt
            for e in alice.messages(room)
        )
    )
    with sqlite_db.session() as session:
        (share_row,) = Repo(session).shares_of_item(post.id or 0)
    assert (share_row.user, share_row.user_name) == (ref(alice.user_id), "Alice Example")

    bob.redact(room, approval)  # the editor takes the approval back
    await eventually(lambda: items(sqlite_db)[0].status == "draft")
    assert connection.is_connected()
