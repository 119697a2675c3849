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
from storage.models import IssueState
from storage.stats import IssueHeader


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


class Archive:
    def __init__(self, config: Config, db: Database) -> None:
        self.config = config
        self.db = db
        self.configured = [digest.name for digest in config.digests]

    def listings(self) -> list[DigestListing]:
        with self.db.reading() as uow:
            headers = uow.stats.published_issues()
        by_digest: dict[str, list[IssueHeader]] = {name: [] for name in self.configured}
        for header in headers:
            by_digest.setdefault(header.digest, []).append(header)
        names = self.configured + sorted(by_digest.keys() - set(self.configured))
        return [_listing(name, by_digest[name]) for name in names]

    def listing(self, digest: str) -> DigestListing | None:
        with self.db.reading() as uow:
            headers = uow.stats.published_issues(digest)
        if not headers and digest not in self.configured:
            return None
        return _listing(digest, headers)

    def issue(self, digest: str, number: int) -> CompiledIssue | None:
        with self.db.reading() as uow:
            row = uow.issues.issue_by_number(digest, number)
        if row is None or row.state != IssueState.published:
            return None
        return store.loads(row.compiled)

    def recent(self, digest: str, limit: int) -> tuple[DigestListing, list[Published]] | None:
        """The digest's listing and its newest ``limit`` issues, compiled, for a feed."""
        listing = self.listing(digest)
        if listing is None:
            return None
        newest = listing.issues[:limit]
        with self.db.reading() as uow:
            repo = uow.issues
            rows = [repo.issue_by_number(digest, link.number) for link in newest]
        return listing, [
            (link, store.loads(row.compiled))
            for link, row in zip(newest, rows, strict=True)
            if row is not None
        ]


def _listing(name: str, headers: list[IssueHeader]) -> DigestListing:
    links = [IssueLink(h.number, h.title, as_utc(h.published_at)) for h in headers]
    return DigestListing(name, tuple(sorted(links, key=lambda link: link.number, reverse=True)))
