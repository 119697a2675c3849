"""Full-text search over items (issue 21): one API on SQLite FTS5 and PostgreSQL full-text
search. The ``item_search`` index (migration 0004) is kept current by triggers on ``item`` and
``share``: title, summary, why, site and sharers' names.

People's words never reach a query language: they are cut into plain word tokens, each matched
as a word (all must match), so no input can be a syntax error — hostile or empty input just finds
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

MAX_TERMS = 12
MAX_TERM = 60
LIMIT = 20
WINDOW = 2000
# PostgreSQL: a word in ``FREQUENT`` of the newest ``PROBE`` rows (2.5 %) is looked for in the
# newest ``SCAN`` rows, read backwards, before the GIN index is asked (bench/search.py)
PROBE, FREQUENT, SCAN = 4000, 100, 100_000
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching item, best first."""

    item_id: int
    digest: str
    title: str
    url: str
    status: str
    why: str | None
    site: str | None
    issue_number: int | None  # the issue that carried it, if one did
    issue_date: datetime | None


def search_terms(words: str) -> list[str]:
    """The plain word tokens of ``words`` (letters, digits, underscores), lower-cased."""
    return [term[:MAX_TERM].lower() for term in _WORD.findall(words)][:MAX_TERMS]


_COLUMNS = """
    item.id, item.digest, coalesce(item.title_override, item.title, item.unfurl_title, item.url),
    item.url, item.status, item.why, coalesce(item.site_name, item.unfurl_site),
    issue.number, coalesce(issue.published_at, issue.created_at)
"""
# The newest ``WINDOW`` matches are ranked: a word in half the items must not mean ranking half a
# million rows (bench/search.py). FTS5 walks its rowids newest first. PostgreSQL first counts a
# probe of the newest rows: a frequent word then has its ``WINDOW`` newest matches among the
# newest ``SCAN`` rows, read backwards, without the heap reads of its huge GIN match list. Only a
# rarer word (or one that falls short there) asks the GIN index, whose matches are then few; they
# are materialized (ids only, so the planner cannot trade the index for a backward scan of the
# whole table). Either path finds the same window, the newest ``WINDOW`` matches. bm25 weighs
# columns: title, summary, why, site, sharer (lower is better); ts_rank the weights the migration
# gave the fields.
SQLITE = f"""
WITH matches AS (
    SELECT rowid AS id, bm25(item_search, 10.0, 2.0, 5.0, 3.0, 1.0) AS rank FROM item_search
    WHERE item_search MATCH :query ORDER BY rowid DESC LIMIT :window
)
SELECT {_COLUMNS} FROM matches JOIN item ON item.id = matches.id
LEFT JOIN issue ON issue.id = item.published_issue_id
WHERE item.merged_into IS NULL {{filters}}
ORDER BY matches.rank, item.id DESC LIMIT :limit
"""  # noqa: S608 - constants; people's words are bound parameters
POSTGRES = f"""
WITH probe AS MATERIALIZED (
    SELECT count(*) AS found FROM (
        SELECT document FROM item_search ORDER BY item_id DESC LIMIT :probe
    ) AS newest_rows WHERE document @@ to_tsquery('english', :query)
), recent AS MATERIALIZED (
    SELECT item_id FROM (
        SELECT item_id, document FROM item_search ORDER BY item_id DESC LIMIT :scan
    ) AS newest_rows
    WHERE document @@ to_tsquery('english', :query) AND (SELECT found FROM probe) >= :frequent
    ORDER BY item_id DESC LIMIT :window
), hits AS MATERIALIZED (
    SELECT item_id FROM item_search WHERE document @@ to_tsquery('english', :query)
), newest AS (
    SELECT item_id FROM recent WHERE (SELECT count(*) FROM recent) = :window
    UNION ALL (
        SELECT item_id FROM hits WHERE (SELECT count(*) FROM recent) < :window
        ORDER BY item_id DESC LIMIT :window
    )
), matches AS (
    SELECT s.item_id AS id, ts_rank(s.document, to_tsquery('english', :query)) AS rank
    FROM newest JOIN item_search s ON s.item_id = newest.item_id
)
SELECT {_COLUMNS} FROM matches JOIN item ON item.id = matches.id
LEFT JOIN issue ON issue.id = item.published_issue_id
WHERE item.merged_into IS NULL {{filters}}
ORDER BY matches.rank DESC, item.id DESC LIMIT :limit
"""  # noqa: S608 - as above


def _query(dialect: str, terms: Sequence[str]) -> str:
    """All ``terms`` as words: FTS5 strings ("term"), or tsquery lexemes joined by ``&``."""
    if dialect == "postgresql":
        return " & ".join(f"'{term}'" for term in terms)
    return " ".join(f'"{term}"' for term in terms)


class SearchQueries:
    """Part of ``storage.repo.Repo``: full-text search."""

    _session: Session

    def search_items(
        self,
        words: str,
        digest: str | None = None,
        statuses: Sequence[str] | None = None,
        limit: int = LIMIT,
    ) -> list[SearchHit]:
        """Items matching every word of ``words``, best first (in ``digest``, with
        ``statuses``): the best of the newest ``WINDOW`` matches."""
        return _search(self._session, words, digest, statuses, limit)


def _search(
    session: Session,
    words: str,
    digest: str | None,
    statuses: Sequence[str] | None,
    limit: int,
) -> list[SearchHit]:
    terms = search_terms(words)
    if not terms:
        return []
    dialect = session.get_bind().dialect.name
    values = dict[str, Any](query=_query(dialect, terms), limit=limit, window=WINDOW)
    values.update(probe=PROBE, frequent=FREQUENT, scan=SCAN)
    filters = ""
    if digest is not None:
        filters, values["digest"] = f"{filters} AND item.digest = :digest", digest
    if statuses:
        filters, values["statuses"] = f"{filters} AND item.status IN :statuses", list(statuses)
    sql = (POSTGRES if dialect == "postgresql" else SQLITE).format(filters=filters)
    statement = text(sql)
    if statuses:
        statement = statement.bindparams(bindparam("statuses", expanding=True))
    rows = session.execute(statement, values).all()
    return [_hit(row) for row in rows]


def _hit(row: Any) -> SearchHit:
    item_id, digest, title, url, status, why, site, number, date = row
    if isinstance(date, str):  # SQLite hands back text from a raw query
        date = datetime.fromisoformat(date)
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return SearchHit(item_id, digest, title, url, status, why, site, number, date)
