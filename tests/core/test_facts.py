"""``storage.facts``: its plain records for new rows must keep up with the tables they fill."""

from __future__ import annotations

from dataclasses import fields

import pytest
from sqlalchemy import Table

from storage.facts import NEW_ROWS


@pytest.mark.parametrize("record", list(NEW_ROWS), ids=lambda record: record.__name__)
def test_a_new_row_record_has_every_column_but_the_generated_id(record: type) -> None:
    table: Table = NEW_ROWS[record]
    assert {field.name for field in fields(record)} == set(table.columns.keys()) - {"id"}
