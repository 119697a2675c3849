"""What commands answer is what happened (issue 17): a saved why says so, an add of a
published link says it will not go out again, an unknown section is refused with the known ones."""

from __future__ import annotations

import logging

import pytest

from bot.curate.commands import Refused, decide
from bot.ports import CommandRequest
from storage.db import Database
from storage.unit import UnitOfWork
from tests.core.fakes import RecordingPublisher
from tests.core.helpers import ANN, CONFIG, EDITOR, at, items, only_item, post, react, service
from tests.core.test_publish import Clock, engine


def request(name: str, args: str, user: object = EDITOR) -> CommandRequest:
    return CommandRequest(name, args, user, "slack:C1", "slack")  # type: ignore[arg-type]


async def test_setting_a_why_says_the_why_was_saved(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    item = only_item(db)
    reply = await core.command(request("why", f"{item.id} it changes how we deploy"))
    assert reply.text == f"Item {item.id}: why this matters saved; it is draft."
    assert only_item(db).why == "it changes how we deploy"
    approved = await core.command(request("approve", str(item.id)))
    assert approved.text == f"Item {item.id} is now approved."


async def test_adding_a_link_already_in_the_queue_or_new(db: Database) -> None:
    core = service(db)
    first = await core.command(request("add", "https://a.com/post a good read", ANN))
    [item] = items(db)
    assert first.text == f"Added to *weekly* (item {item.id})."
    again = await core.command(request("add", "https://a.com/post", EDITOR))
    assert again.text == f"Already in the *weekly* queue as item {item.id}; your share was added."


async def test_adding_a_published_link_says_it_will_not_go_out_again(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    config = CONFIG.replace(
        'default_section = "Elsewhere"',
        'default_section = "Elsewhere"\npublish_to = ["slack:CPUB"]',
    )
    core = service(db, config)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com/post"))
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 1))
    with caplog.at_level(logging.INFO, logger="bot.deliver.engine"):
        publish = engine(db, RecordingPublisher(), Clock(at(60)), config).publish("weekly", "p1")
        report = await publish
    assert report.outcome == "published"
    [logged] = [r for r in caplog.records if r.name == "bot.deliver.engine"]
    assert logged.getMessage() == report.describe()
    assert logged.linkletter_fields["event"] == "published"  # type: ignore[attr-defined]
    reply = await core.command(request("add", "https://a.com/post", ANN))
    item = only_item(db)
    assert item.status == "published"
    assert reply.text == (
        f"Item {item.id} was already published in *weekly*; it will not go out again."
    )


def test_an_unknown_section_is_refused_with_the_known_ones(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))

    def put_in(section: str) -> str:
        def work(uow: UnitOfWork) -> str:
            fresh = uow.items.item(only_item(db).id or 0)
            assert fresh is not None
            return decide(core, uow.items, fresh, EDITOR.id, "section", section)

        return db.write_now(work)

    with pytest.raises(Refused) as refused:
        put_in("Gossip")
    assert str(refused.value) == (
        "weekly has no section 'Gossip'. Known sections: Machine Learning, Data Engineering, "
        "Elsewhere (add one under [[digest.sections]] in linkletter.toml)."
    )
    assert only_item(db).section != "Gossip"
    assert put_in("data engineering") == (
        f"Item {only_item(db).id}: section saved (Data Engineering); it is draft."
    )
    assert only_item(db).section == "Data Engineering"


async def test_decisions_are_logged_once_at_info(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com"))
    item = only_item(db)
    with caplog.at_level(logging.INFO):
        await core.command(request("approve", str(item.id)))
    [line] = [r for r in caplog.records if r.name == "bot.curate.commands"]
    assert line.levelno == logging.INFO
    assert line.getMessage() == f"item {item.id} approve by slack:UED: now approved"
    assert line.linkletter_fields == {  # type: ignore[attr-defined]
        "event": "decision",
        "item": item.id,
        "action": "approve",
        "actor": "slack:UED",
        "status": "approved",
        "digest": "weekly",
    }
