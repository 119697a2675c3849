"""``UnitOfWork``: the repositories of one transaction, the only way ``bot/`` reaches the database.

A unit is opened by ``storage.db.Database`` (``write`` on a worker thread with the outage retry,
``write_now``, ``unit`` and ``reading`` in the caller's thread) and is valid only inside that call
or block. Its session
stays here: callers see repositories and a ``savepoint`` method, and storage's own exceptions
(``DatabaseUnavailable``, ``Conflict``), never SQLAlchemy's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from storage.archive import ArchiveRepo
from storage.assist_repo import AssistRepo
from storage.desk import DeskRepo
from storage.errors import Conflict, DatabaseUnavailable
from storage.facts import Facts
from storage.issues import IssueRepo
from storage.repo import Repo
from storage.stats import StatsRepo


class UnitOfWork:
    """The repositories of one transaction; they share its session."""

    def __init__(
        self, session: Session, explain: Callable[[OperationalError], DatabaseUnavailable]
    ) -> None:
        self._session = session
        self._explain = explain
        self.items = Repo(session)
        self.issues = IssueRepo(session)
        self.stats = StatsRepo(session)
        self.assist = AssistRepo(session)
        self.desk = DeskRepo(session)
        self.archive = ArchiveRepo(session)

    def facts(self) -> Facts:
        """A fresh ``Facts`` (it caches what it loaded and is written once: one per ingest)."""
        return Facts(self._session)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an error inside rolls back only the block's work and is raised
        as ``Conflict`` (a unique key) or ``DatabaseUnavailable``; the unit goes on."""
        try:
            with self._session.begin_nested():
                yield
        except IntegrityError as error:
            raise Conflict(str(error.orig).strip().partition("\n")[0]) from error
        except OperationalError as error:
            raise self._explain(error) from error
