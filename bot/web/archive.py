"""What the archive shows, read from the database (blocking: call from a worker thread).

Only published issues are visible. A digest is known when it is configured or has published
issues (a digest removed from the config keeps its archive).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.config import Config
from bot.digest import store
from bot.digest.model import CompiledIssue
from storage.db import Database
from storage.issues import IssueRepo
from storage.models import Issue


@dataclass(frozen=True, slots=True)
class IssueLink:
    number: int
    title: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class DigestListing:
    name: str
    issues: tuple[IssueLink, ...]  # newest first

    @property
    def updated(self) -> datetime | None:
        return self.issues[0].published_at if self.issues else None


Published = tuple[IssueLink, CompiledIssue]


def as_utc(moment: datetime) -> datetime:
    """Database timestamps come back naive (they were written in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _link(row: Issue) -> IssueLink:
    return IssueLink(row.number, row.title, as_utc(row.published_at or row.created_at))


class Archive:
    def __init__(self, config: Config, db: Database) -> None:
        self.config = config
        self.db = db

    def listings(self) -> list[DigestListing]:
        with self.db.session() as session:
            rows = IssueRepo(session).issues()
        names = [digest.name for digest in self.config.digests]
        names += sorted({row.digest for row in rows} - set(names))
        return [_listing(name, [row for row in rows if row.digest == name]) for name in names]

    def listing(self, digest: str) -> DigestListing | None:
        rows = self._published(digest)
        return None if rows is None else _listing(digest, rows)

    def issue(self, digest: str, number: int) -> CompiledIssue | None:
        with self.db.session() as session:
            row = IssueRepo(session).issue_by_number(digest, number)
        if row is None or row.state != "published":
            return None
        return store.loads(row.compiled)

    def recent(self, digest: str, limit: int) -> tuple[DigestListing, list[Published]] | None:
        """The digest's listing and its newest ``limit`` issues, compiled, for a feed."""
        rows = self._published(digest)
        if rows is None:
            return None
        newest = sorted(rows, key=lambda row: row.number, reverse=True)[:limit]
        return _listing(digest, rows), [(_link(row), store.loads(row.compiled)) for row in newest]

    def _published(self, digest: str) -> list[Issue] | None:
        """The digest's published issues; None for a digest the archive does not know."""
        with self.db.session() as session:
            rows = IssueRepo(session).issues(digest)
        if rows or digest in {configured.name for configured in self.config.digests}:
            return rows
        return None


def _listing(name: str, rows: list[Issue]) -> DigestListing:
    links = sorted((_link(row) for row in rows), key=lambda link: link.number, reverse=True)
    return DigestListing(name, tuple(links))
