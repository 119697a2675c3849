"""The search benchmark's rows really are searchable through the production API: the bulk load
goes through the migration's triggers (the figures come from ``python -m bench.search``)."""

from __future__ import annotations

import random

from bench import databases
from bench.search import populate, word
from storage.repo import Repo


def test_bulk_loaded_items_are_indexed_and_found() -> None:
    common = word(random.Random(0))
    with databases.fresh("sqlite") as db:
        populate(db, 500)
        with db.session() as session:
            hits = Repo(session).search_items(common, limit=5)
    assert hits
    assert all(hit.digest == "weekly" for hit in hits)
