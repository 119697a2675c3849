"""``UnitOfWork`` and ``Database.write``/``unit``: real unique-key violations on SQLite and
PostgreSQL leave storage as ``Conflict`` (no SQLAlchemy error reaches the caller), a race with
another writer is retried once, and a savepoint rolls back only its own block."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.db import Conflict, Database
from storage.models import ProcessedEvent
from storage.unit import UnitOfWork


def processed(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.exec(select(ProcessedEvent.event_id)).all())


def record(uow: UnitOfWork, *event_ids: str) -> None:
    for event_id in event_ids:
        uow.items.add(ProcessedEvent(event_id=event_id))
    uow.items.flush()


def another_writer_records(db: Database, event_id: str) -> None:
    with db.session() as session:
        session.add(ProcessedEvent(event_id=event_id))


async def test_a_race_with_another_writer_is_retried_once(db: Database) -> None:
    attempts: list[int] = []

    def work(uow: UnitOfWork) -> int:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            another_writer_records(db, "e1")  # got there between our read and our write
        record(uow, f"e{len(attempts)}")
        return len(attempts)

    assert await db.write(work) == 2
    assert processed(db) == {"e1", "e2"}


async def test_a_lasting_conflict_is_raised_as_storage_s_own_error(db: Database) -> None:
    another_writer_records(db, "taken")
    with pytest.raises(Conflict) as raised:
        await db.write(lambda uow: record(uow, "mine", "taken"))
    assert "database" in str(raised.value)
    assert processed(db) == {"taken"}  # the unit rolled back entirely


def test_a_savepoint_rolls_back_only_its_block(db: Database) -> None:
    with db.unit() as uow:
        record(uow, "kept")
        with pytest.raises(Conflict), uow.savepoint():
            record(uow, "lost", "kept")
        record(uow, "after")
    assert processed(db) == {"kept", "after"}


def test_a_reading_unit_writes_nothing(db: Database) -> None:
    with db.reading() as uow:
        record(uow, "never")
    assert processed(db) == set()
