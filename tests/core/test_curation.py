"""The curation rules of issue 2, each against a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.events import AddReaction, ChatEvent, ReplyInThread, Unfurl, UnfurlsAdded
from storage.db import Database, DatabaseUnavailable
from tests.core.helpers import (
    ANN,
    BOB,
    CONFIG,
    EDITOR,
    READER,
    ROLE_EDITOR,
    delete,
    edit,
    items,
    only_item,
    post,
    react,
    service,
    unreact,
)


def test_link_becomes_draft_item_with_share_and_receipt(db: Database) -> None:
    core = service(db)
    outcome = core.handle_sync(
        post("slack:C1", "1.1", ANN, "Nice read <https://www.example.com/a?utm_source=x|A>")
    )
    item = only_item(db)
    assert (item.status, item.canonical_url, item.url) == (
        "draft",
        "https://example.com/a",
        "https://www.example.com/a?utm_source=x",
    )
    assert item.note == "Nice read A"
    assert item.first_shared_by == ANN.id
    assert outcome.effects == (AddReaction("slack:C1", "1.1", "inbox_tray"),)


def test_unwatched_channel_bot_and_code_links_are_ignored(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:CNOPE", "1", ANN, "https://a.com"))
    core.handle_sync(
        post("slack:C1", "2", ANN.__class__("slack:B1", "bot", is_bot=True), "https://b.com")
    )
    core.handle_sync(post("slack:C1", "3", ANN, "`https://c.com` <mailto:x@y.z>"))
    assert items(db) == []


def test_same_article_on_slack_and_discord_is_one_item(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1.1", ANN, "https://example.com/a?fbclid=zz"))
    second = core.handle_sync(post("discord:100", "900", BOB, "<https://EXAMPLE.com/a/>", 5))
    item = only_item(db)
    with db.session() as session:
        from storage.repo import Repo

        shares = Repo(session).shares_of_item(item.id or 0)
    assert sorted(s.channel for s in shares) == ["discord:100", "slack:C1"]
    assert second.effects == (AddReaction("discord:100", "900", "recycle"),)


def test_duplicate_receipt_can_be_a_thread_reply(db: Database) -> None:
    core = service(db, CONFIG.replace('duplicate = "recycle"', 'duplicate_mode = "reply"'))
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    outcome = core.handle_sync(post("slack:C2", "2", BOB, "https://a.com"))
    assert isinstance(outcome.effects[0], ReplyInThread)


def test_redelivered_event_changes_nothing(db: Database) -> None:
    core = service(db)
    event = post("slack:C1", "1", ANN, "https://a.com")
    core.handle_sync(event)
    again = core.handle_sync(event)
    assert again.duplicate
    assert again.effects == ()
    assert len(items(db)) == 1


def test_editor_reactions_curate_and_removal_undoes_exactly(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 1))
    assert only_item(db).status == "approved"
    core.handle_sync(react("slack:C1", "1", EDITOR, "⭐", 2))
    assert only_item(db).featured
    core.handle_sync(react("slack:C1", "1", EDITOR, "x", 3))
    assert only_item(db).status == "rejected"
    core.handle_sync(unreact("slack:C1", "1", EDITOR, "x", 4))
    assert (only_item(db).status, only_item(db).featured) == ("approved", True)
    core.handle_sync(unreact("slack:C1", "1", EDITOR, "star", 5))
    core.handle_sync(unreact("slack:C1", "1", EDITOR, "✅", 6))
    assert (only_item(db).status, only_item(db).featured) == ("draft", False)


def test_discord_role_editor_and_unicode_emoji(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("discord:100", "9", BOB, "https://a.com"))
    core.handle_sync(react("discord:100", "9", ROLE_EDITOR, "✅", 1))
    assert only_item(db).status == "approved"


def test_non_editor_check_is_a_vote_not_an_approval(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    core.handle_sync(react("slack:C1", "1", READER, "white_check_mark", 1))
    core.handle_sync(react("slack:C1", "1", READER, "+1", 2))
    core.handle_sync(react("slack:C1", "1", BOB, "fire", 2))
    core.handle_sync(react("slack:C1", "1", EDITOR, "tada", 3))
    item = only_item(db)
    assert (item.status, item.votes) == ("draft", 3)


def test_bot_reactions_are_not_votes(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    core.handle_sync(
        react("slack:C1", "1", ANN.__class__("slack:B1", is_bot=True), "inbox_tray", 1)
    )
    assert only_item(db).votes == 0


def test_why_precedence_sharer_then_editor_and_latest_edit(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com\n*Why this matters:* first take"))
    assert only_item(db).why == "first take"
    core.handle_sync(post("slack:C1", "2", READER, "why: a bystander's view", 1, parent="1"))
    assert only_item(db).why == "first take"  # sharer beats bystander
    core.handle_sync(edit("slack:C1", "1", "https://a.com\n🏛️ **Why this matters:** edited take", 2))
    assert only_item(db).why == "edited take"
    core.handle_sync(
        post("slack:C1", "3", EDITOR, "Why this matters - the editor's word", 3, parent="1")
    )
    assert (only_item(db).why, only_item(db).why_by) == ("the editor's word", EDITOR.id)
    core.handle_sync(delete("slack:C1", "3", 4))
    assert only_item(db).why == "edited take"


def test_why_reply_before_its_parent_is_applied_when_parent_arrives(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "2", ANN, "why this matters: early", 1, parent="1"))
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 2))
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    item = only_item(db)
    assert (item.why, item.status) == ("early", "approved")


def test_edit_adds_and_removes_links(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    core.handle_sync(edit("slack:C1", "1", "oops, meant https://b.com", 1))
    by_url = {i.canonical_url: i.status for i in items(db)}
    assert by_url == {"https://a.com/": "withdrawn", "https://b.com/": "draft"}


def test_older_edit_never_overwrites_newer(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    core.handle_sync(edit("slack:C1", "1", "https://new.com", 10))
    core.handle_sync(edit("slack:C1", "1", "https://stale.com", 5))
    assert {i.canonical_url for i in items(db) if i.status == "draft"} == {"https://new.com/"}


def test_delete_withdraws_but_keeps_history(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    core.handle_sync(delete("slack:C1", "1", 1))
    item = only_item(db)
    assert item.status == "withdrawn"
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))  # a late redelivery of the post
    assert only_item(db).status == "withdrawn"


def test_delete_of_one_share_keeps_item_and_approval(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    core.handle_sync(post("discord:100", "5", BOB, "https://a.com", 1))
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 2))
    core.handle_sync(delete("slack:C1", "1", 3))
    assert only_item(db).status == "approved"


def test_reaction_before_message_is_kept(db: Database) -> None:
    core = service(db)
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 1))
    core.handle_sync(react("slack:C1", "1", READER, "heart", 1))
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    item = only_item(db)
    assert (item.status, item.votes) == ("approved", 1)


def test_remove_before_add_of_same_reaction_keeps_it_removed(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    core.handle_sync(unreact("slack:C1", "1", EDITOR, "white_check_mark", 5))
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 4))
    assert only_item(db).status == "draft"


def test_sections_in_rule_order(db: Database) -> None:
    core = service(db)
    core.handle_sync(
        post("slack:C2", "1", ANN, "https://arxiv.org/abs/1 #ml")
    )  # hashtag beats channel
    core.handle_sync(post("slack:C2", "2", ANN, "https://x.com/warehouse", 1))  # channel
    core.handle_sync(post("slack:C1", "3", ANN, "https://arxiv.org/abs/2", 2))  # domain
    core.handle_sync(
        post("slack:C1", "4", ANN, "a data warehouse story https://y.com", 3)
    )  # keyword
    core.handle_sync(post("slack:C1", "5", ANN, "https://z.com", 4))  # default
    sections = {i.canonical_url: (i.section, i.section_source) for i in items(db)}
    assert sections == {
        "https://arxiv.org/abs/1": ("Machine Learning", "hashtag"),
        "https://x.com/warehouse": ("Data Engineering", "channel"),
        "https://arxiv.org/abs/2": ("Machine Learning", "domain"),
        "https://y.com/": ("Data Engineering", "keyword"),
        "https://z.com/": ("Elsewhere", "default"),
    }
    core.handle_sync(react("slack:C1", "5", EDITOR, "robot_face", 5))
    assert {i.canonical_url: i.section for i in items(db)}["https://z.com/"] == "Machine Learning"


def test_editor_title_and_summary_replies_override(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    core.handle_sync(post("slack:C1", "2", READER, "title: not an editor", 1, parent="1"))
    core.handle_sync(post("slack:C1", "3", EDITOR, "title: A Better Title", 2, parent="1"))
    core.handle_sync(post("slack:C1", "4", EDITOR, "summary: Short and neutral.", 3, parent="1"))
    item = only_item(db)
    assert (item.title_override, item.summary_override) == ("A Better Title", "Short and neutral.")


def test_unfurls_are_kept_as_fallback_metadata(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com/p"))
    core.handle_sync(
        UnfurlsAdded("u1", "slack:C1", "1", (Unfurl("https://a.com/p", "Title", "Desc"),))
    )
    item = only_item(db)
    assert (item.unfurl_title, item.unfurl_description) == ("Title", "Desc")


def test_two_digests_watching_one_channel_get_one_item_each(db: Database) -> None:
    text = CONFIG + '\n[[digest]]\nname = "ml"\nsources = ["slack:C1"]\n'
    core = service(db, text)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    assert sorted(i.digest for i in items(db)) == ["ml", "weekly"]


BAD = post("slack:C1", "3", ANN, None, 3)  # type: ignore[arg-type]  # a malformed event
WEEK: list[ChatEvent] = [  # in one batch, rows meet events about rows not written yet:
    react("slack:C1", "4", EDITOR, "star", 0),  # a reaction before its message
    post("slack:C1", "1", ANN, "https://a.com why: first"),
    react("slack:C1", "1", EDITOR, "white_check_mark", 1),
    post("slack:C1", "2", READER, "https://a.com", 2),
    edit("slack:C1", "1", "https://b.com", 4),  # an edit of a message of the same batch
    react("slack:C1", "2", BOB, "+1", 5),
    post("slack:C1", "4", READER, "https://c.com and https://a.com", 6),
    post("slack:C1", "5", EDITOR, "why this matters: the editor's take", 7, parent="4"),
    unreact("slack:C1", "2", BOB, "+1", 8),
    post("slack:C1", "6", BOB, "https://d.com", 9),
    delete("slack:C1", "6", 10),  # shared and withdrawn within the batch
]


def _state(database: Database) -> list[tuple[object, ...]]:
    return [
        (i.canonical_url, i.status, i.featured, i.votes, i.why, i.first_shared_by)
        for i in items(database)
    ]


@pytest.mark.parametrize("bad", [False, True], ids=["optimistic", "isolating-a-bad-event"])
async def test_batch_equals_one_by_one(db: Database, tmp_path: Path, bad: bool) -> None:
    """The optimistic batch (one write, one re-derivation) and the isolating replay after a bad
    event both end where applying the events one by one ends."""
    week = [*WEEK[:4], BAD, *WEEK[4:]] if bad else WEEK
    outcomes = await service(db).handle_batch(week + week)
    assert [o.duplicate for o in outcomes[len(week) :]] == [True] * len(week)
    assert outcomes[1].effects == (AddReaction("slack:C1", "1", "inbox_tray"),)
    one_by_one = Database.connect(f"sqlite:///{tmp_path / 'single.db'}")
    one_by_one.upgrade()
    core = service(one_by_one)
    for event in WEEK:
        core.handle_sync(event)
    assert _state(db) == _state(one_by_one)
    assert [(url, status, featured, by) for url, status, featured, _v, _w, by in _state(db)] == [
        ("https://a.com/", "approved", True, READER.id),  # ✅ on 1 (edited away), ⭐ on 4
        ("https://b.com/", "approved", False, ANN.id),  # ✅ on 1
        ("https://c.com/", "approved", True, READER.id),  # ⭐ on 4, before 4 arrived
        ("https://d.com/", "withdrawn", False, BOB.id),  # 6 deleted
    ]


async def test_a_batch_numbers_and_names_its_new_items_as_one_by_one(
    db: Database, tmp_path: Path
) -> None:
    """A batch's new items (written together at its end) get the ids, the previews and the
    outcomes' item ids that applying the events one at a time gives them."""
    events: list[ChatEvent] = [
        post("slack:C1", "1", ANN, "https://a.com https://b.com", 1),
        UnfurlsAdded("u1", "slack:C1", "1", (Unfurl("https://b.com", "B", "About B"),)),
        post("slack:C1", "2", BOB, "https://c.com and https://a.com", 2),
    ]
    batched = await service(db).handle_batch(events)
    one_by_one = Database.connect(f"sqlite:///{tmp_path / 'single.db'}")
    one_by_one.upgrade()
    core = service(one_by_one)
    single = [core.handle_sync(event) for event in events]
    assert [o.item_ids for o in batched] == [o.item_ids for o in single] == [(1, 2), (2,), (1, 3)]

    def stored(database: Database) -> list[tuple[object, ...]]:
        return [(i.id, i.canonical_url, i.unfurl_title) for i in items(database)]

    assert stored(db) == stored(one_by_one)
    assert [(url, title) for _, url, title in stored(db) if title] == [("https://b.com/", "B")]


async def test_buttons_reach_items_of_any_digest_for_its_editors(db: Database) -> None:
    from bot.ports import CommandRequest

    text = CONFIG + '\n[[digest]]\nname = "ml"\nsources = ["slack:CML"]\neditors = ["slack:UML"]\n'
    core = service(db, text)
    core.handle_sync(post("slack:CML", "1", ANN, "https://a.com"))
    [item] = items(db, "ml")

    def press(user: str, name: str = "approve") -> CommandRequest:
        return CommandRequest(name, str(item.id), ANN.__class__(user), "slack:C1", "slack")

    refused = await core.command(press(EDITOR.id))  # an editor of the other digest
    assert "only this digest's editors" in refused.text
    done = await core.command(press("slack:UML"))
    assert "is now approved" in done.text
    assert items(db, "ml")[0].status == "approved"


async def test_events_wait_out_a_database_outage(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault tests (issue 10): the database goes away for a while; the event is applied once it
    is back, not lost."""
    from sqlalchemy.exc import OperationalError

    core = service(db)
    real = core.apply
    failures = iter([True, True, True, False])

    def flaky(*args):  # type: ignore[no-untyped-def]
        if next(failures):
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real(*args)

    monkeypatch.setattr(core, "apply", flaky)
    monkeypatch.setattr("storage.db.asyncio.sleep", _no_sleep)
    outcome = await core.handle(post("slack:C1", "1", ANN, "https://a.com"))
    assert outcome.item_ids
    assert [i.canonical_url for i in items(db)] == ["https://a.com/"]


async def test_a_long_outage_is_reported(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    core = service(db)
    core.outage_patience = 2.0

    def down(*_args):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(core, "apply", down)
    monkeypatch.setattr("storage.db.asyncio.sleep", _no_sleep)
    with pytest.raises(DatabaseUnavailable) as raised:
        await core.handle(post("slack:C1", "1", ANN, "https://a.com"))
    assert raised.value.kind == "unreachable"
    assert "connection refused" in str(raised.value)


async def _no_sleep(_seconds: float) -> None:
    return None


def test_a_why_reply_with_a_link_is_the_parents_why_not_an_item(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com/paper"))
    reply = "Why this matters: it fixes <https://b.com/bench|the benchmark> we use"
    outcome = core.handle_sync(post("slack:C1", "2", ANN, reply, 1, parent="1"))
    item = only_item(db)
    assert (item.canonical_url, item.why) == (
        "https://a.com/paper",
        "it fixes the benchmark we use",
    )
    assert outcome.effects == ()  # no receipt: nothing new was captured
    plain = "and a related one: https://c.com/other"
    core.handle_sync(post("slack:C1", "3", ANN, plain, 2, parent="1"))
    assert len(items(db)) == 2  # a reply that is not a why still shares its link


def test_members_only_links_are_not_items(db: Database) -> None:
    core = service(db)
    text = (
        "see <https://acme.slack.com/archives/C1/p1663969334001500> and "
        "https://acme.slack.com/files/U1/F1/notes.txt and https://discord.com/channels/1/2/3"
    )
    outcome = core.handle_sync(post("slack:C1", "1", ANN, text))
    assert (items(db), outcome.effects) == ([], ())
