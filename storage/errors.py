"""What storage raises instead of the driver's errors, so callers never import SQLAlchemy.

No SQL here: the CLI's ``friendly_errors`` catches these without loading the database layer.
"""

from __future__ import annotations


class StorageError(Exception):
    """The database could not do the work; the message is written for an operator."""


class DatabaseUnavailable(StorageError):
    """The database cannot be used; the message says why and how to fix it. ``kind`` names the
    problem: one of ``storage.db.FIXES`` (disk_full, read_only, locked, ...). ``waitable``: an
    outage that may pass by itself (a restart, a lock, a full disk being cleared), which
    ``Database.write`` and ``Database.read`` wait out; the others need an operator."""

    def __init__(self, message: str, kind: str = "unreachable", waitable: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.waitable = waitable


class Conflict(StorageError):
    """A unique key refused a row (another writer got there first)."""


class SchemaOutOfDate(StorageError):
    """The database schema is older (or newer) than this code expects."""
