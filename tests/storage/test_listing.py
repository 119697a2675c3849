"""``Repo.item_listing`` (what ``items list`` reads): one join, linear, no ``IN`` list; and the
queries by id that do take a list of ids split it (``storage.repo.chunked``)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import storage.repo
from bench.listing import seed
from bot.cli.items import write_json_array
from storage.db import Database

POSTGRES_BIND_LIMIT = 65_535


def test_lists_more_items_than_one_statement_may_bind(db: Database) -> None:
    """The old ``IN`` list of every item id failed on PostgreSQL past 65,535 items."""
    if db.is_sqlite:
        pytest.skip("the bind-parameter limit is PostgreSQL's (SQLite allows 250,000)")
    count = POSTGRES_BIND_LIMIT + 10
    seed(db, count, shares_per_item=1)
    with db.reading() as uow:
        listing = uow.items.item_listing("weekly")
        seen = [(item["id"], [s["share_message_id"] for s in shares]) for item, shares in listing]
    assert len(seen) == count
    assert all(shares == [f"{item_id}.0"] for item_id, shares in seen)
    ids = [item_id for item_id, _ in seen]
    with db.reading() as uow:
        repo = uow.items
        assert len(repo.items_by_id(ids)) == count
        assert len(repo.shares_of_items(ids)) == count
        assert repo.decisions_of_items(ids) == []


def test_id_lists_are_split_into_chunks(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    monkeypatch.setattr(storage.repo, "IN_CHUNK", 4)
    assert list(storage.repo.chunked(range(10))) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    seed(db, 10, shares_per_item=2)
    with db.reading() as uow:
        repo = uow.items
        assert sorted(i.id or 0 for i in repo.items_by_id(range(1, 11))) == list(range(1, 11))
        shares = repo.shares_of_items(list(range(1, 11)))
        assert sorted((s.item_id, s.channel) for s in shares) == [
            (n, f"slack:C{c}") for n in range(1, 11) for c in range(2)
        ]


def test_each_item_gets_its_own_shares_in_order_and_the_filters_hold(db: Database) -> None:
    seed(db, 30, shares_per_item=3)
    with db.reading() as uow:
        repo = uow.items
        listed = list(repo.item_listing("weekly", ["approved"]))
        assert list(repo.item_listing("another digest")) == []
    assert [item["id"] for item, _ in listed] == list(range(1, 31, 3))  # every third approved
    for item, shares in listed:
        assert item["status"] == "approved"
        assert [s["share_channel"] for s in shares] == ["slack:C0", "slack:C1", "slack:C2"]
        assert {s["share_message_id"].split(".")[0] for s in shares} == {str(item["id"])}


@pytest.mark.parametrize(
    "records",
    [[], [{"a": 1}], [{"text": "two\nlines", "nested": {"list": [1, 2], "é": None}}, {"b": []}]],
)
def test_streamed_json_is_what_json_dumps_prints(records: list[dict[str, Any]]) -> None:
    out = io.StringIO()
    write_json_array(iter(records), out)
    assert out.getvalue() == json.dumps(records, ensure_ascii=False, indent=2) + "\n"
