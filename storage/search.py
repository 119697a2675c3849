"""Full-text search over items (issue 21): one API on SQLite FTS5 and PostgreSQL full-text
search. The ``item_search`` index (migration 0004) is kept current by triggers on ``item`` and
``share``: title, summary, why, site and sharers' names.

People's words never reach a query language: they are cut into plain word tokens, each matched
as a word (all must match), so no input can be a syntax error — hostile or empty input just finds
nothing.
"""

from __future__ import annotations

import math
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
# whole table). Either path finds the same window, the newest ``WINDOW`` matches. ts_rank weighs
# the fields as the migration did.
#
# SQLite does not use bm25(): its IDF counts a term's documents over the whole index (65 ms for a
# frequent word at 1,000,000 items, the walk of the window takes 1 ms). Each column instead scores
# weight * n / (n + 1) for its n matched words, counted from the row's own highlight() markers,
# so one title match outweighs any number of matches in the why, the site or the summary.
# The index's columns in order, with their weights.
SQLITE_WEIGHTS = (("title", 10.0), ("summary", 2.0), ("why", 5.0), ("site", 3.0), ("sharer", 1.0))
_HITS = ", ".join(
    f"length(highlight(item_search, {n}, char(1), '')) - length({column}) AS {column}"
    for n, (column, _weight) in enumerate(SQLITE_WEIGHTS)
)
_SCORE = " + ".join(f"{weight} * {column} / ({column} + 1.0)" for column, weight in SQLITE_WEIGHTS)
SQLITE = f"""
WITH hits AS MATERIALIZED (
    SELECT rowid AS id, {_HITS} FROM item_search
    WHERE item_search MATCH :query ORDER BY rowid DESC LIMIT :window
), matches AS (SELECT id, {_SCORE} AS rank FROM hits)
SELECT {_COLUMNS} FROM matches JOIN item ON item.id = matches.id
LEFT JOIN issue ON issue.id = item.published_issue_id
WHERE item.merged_into IS NULL {{filters}}
ORDER BY matches.rank DESC, item.id DESC LIMIT :limit
"""  # noqa: S608 - constants; people's words are bound parameters
# PostgreSQL: the newest ``PROBE`` rows tell how common the query is, so how far back its newest
# ``WINDOW`` matches reach (with ``MARGIN``); the matches are looked for above that floor only.
# Given the floor as a value, the planner picks the cheapest of a backward scan of the few newest
# rows (a frequent word), the GIN bitmap ANDed with the key's range (a middling one: only the
# window's heap rows are read, not all the word's matches) and the GIN bitmap alone (a rare word,
# floor 0). Should the floor hold fewer than ``WINDOW``, the whole index is asked instead.
PROBE, MARGIN = 4000, 2.0
PROBE_SQL = """
SELECT coalesce(max(item_id), 0), count(*) FILTER (WHERE document @@ to_tsquery('english', :query))
FROM (SELECT item_id, document FROM item_search ORDER BY item_id DESC LIMIT :probe) AS newest_rows
"""
POSTGRES = f"""
WITH above AS MATERIALIZED (
    SELECT item_id FROM item_search
    WHERE document @@ to_tsquery('english', :query) AND item_id > :floor
), below AS MATERIALIZED (
    SELECT item_id FROM item_search
    WHERE document @@ to_tsquery('english', :query) AND item_id <= :floor
    AND (SELECT count(*) FROM above) < :window
), newest AS (SELECT item_id FROM above UNION ALL SELECT item_id FROM below
), matches AS (
    SELECT s.item_id AS id, ts_rank(s.document, to_tsquery('english', :query)) AS rank
    FROM (SELECT item_id FROM newest ORDER BY item_id DESC LIMIT :window) AS window_ids
    JOIN item_search s ON s.item_id = window_ids.item_id
)
SELECT {_COLUMNS} FROM matches JOIN item ON item.id = matches.id
LEFT JOIN issue ON issue.id = item.published_issue_id
WHERE item.merged_into IS NULL {{filters}}
ORDER BY matches.rank DESC, item.id DESC LIMIT :limit
"""  # noqa: S608 - as above


def _floor(session: Session, query: str) -> int:
    """The id above which the newest ``WINDOW`` matches of ``query`` should be (0: anywhere)."""
    values = {"query": query, "probe": PROBE}
    newest: int
    found: int
    newest, found = session.execute(text(PROBE_SQL), values).tuples().one()
    if not found:
        return 0
    return max(0, newest - math.ceil(WINDOW * PROBE * MARGIN / found))


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
    if dialect == "postgresql":
        values["floor"] = _floor(session, values["query"])
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
