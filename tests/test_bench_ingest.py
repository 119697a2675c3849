"""The ingest benchmark's floor really is "the same rows": what its executemany writes equals
what the core stored (the figures themselves are measured by ``python -m bench.ingest``)."""

from __future__ import annotations

import pytest

from bench import databases
from bench.ingest import BATCH, batched_path, floor_insert, fresh, shares, stored_rows


def test_the_floor_inserts_exactly_the_rows_the_core_stored() -> None:
    events = shares(150)
    with databases.fresh("sqlite") as core_db:
        batched_path(core_db, events)
        stored = stored_rows(core_db)
    with databases.fresh("sqlite") as raw_db:
        floor_insert(raw_db.engine, stored, transactions=-(-len(events) // BATCH))
        assert stored_rows(raw_db) == stored
    tables = {table.name for table, _values in stored}
    assert {"processed_event", "message", "item", "share"} <= tables
    assert len(stored) >= 3 * len(events)  # at least a processed id, a message and a share each


@pytest.mark.parametrize("kind", databases.kinds())
def test_without_search_triggers_the_core_stores_the_same_but_indexes_nothing(kind: str) -> None:
    events = shares(20)
    counts = []
    for triggers in (True, False):
        with fresh(kind, search_triggers=triggers) as db:
            batched_path(db, events)
            with db.engine.connect() as connection:
                indexed = connection.exec_driver_sql("SELECT count(*) FROM item_search")
                count = indexed.scalar_one()
            counts.append((len(stored_rows(db)), count))
    (with_rows, with_indexed), (without_rows, without_indexed) = counts
    assert with_rows == without_rows
    assert with_indexed > 0
    assert without_indexed == 0
