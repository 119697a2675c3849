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
from collections.abc import Iterable, Sequence
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


_ITEMS = """
SELECT item.id, item.digest,
    coalesce(item.title_override, item.title, item.unfurl_title, item.url),
    item.url, item.status, item.why, coalesce(item.site_name, item.unfurl_site),
    issue.number, coalesce(issue.published_at, issue.created_at)
FROM item LEFT JOIN issue ON issue.id = item.published_issue_id
WHERE item.id IN :ids AND item.merged_into IS NULL
"""
# The newest ``WINDOW`` matches are ranked: a word in half the items must not mean ranking half a
# million rows (bench/search.py). Only then are their items read, best first, ``FIRST`` times
# ``limit`` of them, then twice as many each time, until ``limit`` pass the filters: reading all
# the window's items cost more than finding them.
FIRST = 2

# SQLite: FTS5 walks its rowids newest first. A match ranks by where a word of the query is: in
# the title, then in the why (a sharer's own words), then anywhere else; newer first among
# equals. Each ranked column costs one more walk of the window (an FTS5 column filter above its
# oldest rowid), which is why the site is not one of them. bm25() would count every term's
# documents over the whole index for its IDF: 65 ms for a frequent word at 1,000,000 items, where
# a walk takes 1 ms.
SQLITE_RANKED = ("title", "why")
_IN_COLUMNS = ", ".join(
    f"in_{column} AS (SELECT rowid AS id FROM item_search "  # noqa: S608 - constants
    f"WHERE item_search MATCH :in_{column} AND rowid >= (SELECT min(id) FROM newest))"
    for column in SQLITE_RANKED
)
_RANK = " + ".join(
    f"{2**n} * (id IN in_{column})" for n, column in enumerate(reversed(SQLITE_RANKED))
)
SQLITE = f"""
WITH newest AS MATERIALIZED (
    SELECT rowid AS id FROM item_search
    WHERE item_search MATCH :query ORDER BY rowid DESC LIMIT :window
), {_IN_COLUMNS}
SELECT id, {_RANK} FROM newest
"""  # noqa: S608 - constants; people's words are bound parameters
# PostgreSQL: the newest ``PROBE`` rows tell how common the query is, so how far back its newest
# ``WINDOW`` matches reach (with ``MARGIN``): the floor. The GIN index (migration 0008) holds,
# besides the words, each row's id buckets (of ``BUCKET`` and ``COARSE`` ids, lexemes no word
# can be), so the matches above the floor are the words ANDed with the buckets from the floor's
# up (coarse ones where they fit: each bucket is one more posting list to decode), exactly,
# inside the index: only matching rows are read, never a range of rows tested one by one nor
# whole pages rechecked (the table does not fit in shared buffers). Words and buckets are two
# conditions: as one tsquery, GIN tested every row of the buckets (10-30x slower). A rare word
# (no floor) asks the words alone; so does a floor that holds fewer than ``WINDOW``. The order
# by ``item_id + 0`` keeps the planner from reading the key backwards. Each statement is planned
# for its own words and buckets (``plan_cache_mode``, for the transaction): psycopg prepares a
# statement it has run 5 times, and PostgreSQL may then plan it once for any words. ts_rank
# weighs the fields as migration 0004 did.
PROBE, MARGIN = 4000, 1.5
BUCKET, COARSE = 8192, 131072  # ids per bucket lexeme, per coarse one (migration 0008)
PROBE_SQL = """
SELECT coalesce(max(item_id), 0), count(*) FILTER (WHERE document @@ to_tsquery('english', :query))
FROM (SELECT item_id, document FROM item_search ORDER BY item_id DESC LIMIT :probe) AS newest_rows
"""
_POSTGRES = """
SELECT item_id, ts_rank(document, to_tsquery('english', :query)) FROM item_search
WHERE (document || item_search_bucket(item_id)) @@ to_tsquery('english', :query){recent}
ORDER BY item_id + 0 DESC LIMIT :window
"""
# ``+ 0``: the floor only spares ranking the rows of its bucket below it; as a range of the key
# the planner ANDed it in (12 ms for 200,000 ids)
_RECENT = """
AND (document || item_search_bucket(item_id)) @@ CAST(:buckets AS tsquery)
AND item_id + 0 > :floor"""
POSTGRES = _POSTGRES.format(recent="")
POSTGRES_RECENT = _POSTGRES.format(recent=_RECENT)


def _floor(session: Session, query: str) -> tuple[int, int]:
    """The newest id, and the id above which the newest ``WINDOW`` matches of ``query`` should
    be (0: anywhere)."""
    values = {"query": query, "probe": PROBE}
    newest, found = (int(value) for value in session.execute(text(PROBE_SQL), values).one())
    if not found:
        return newest, 0
    return newest, max(0, newest - math.ceil(WINDOW * PROBE * MARGIN / found))


def _query(dialect: str, terms: Sequence[str]) -> str:
    """All ``terms`` as words: FTS5 strings ("term"), or tsquery lexemes joined by ``&``."""
    if dialect == "postgresql":
        return " & ".join(f"'{term}'" for term in terms)
    return " ".join(f'"{term}"' for term in terms)


def _in_columns(terms: Sequence[str]) -> dict[str, str]:
    """FTS5 queries for the rows that match ``terms`` with one of them in each ranked column."""
    words = " OR ".join(f'"{term}"' for term in terms)
    query = "" if len(terms) == 1 else f"({_query('sqlite', terms)}) AND "
    return {f"in_{column}": f"{query}{column} : ({words})" for column in SQLITE_RANKED}


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
        terms = search_terms(words)
        if not terms:
            return []
        ranked = _window(self._session, terms)
        ranked.sort(key=lambda match: (-match[1], -match[0]))
        return _hits(self._session, [item_id for item_id, _rank in ranked], digest, statuses, limit)


def _window(session: Session, terms: Sequence[str]) -> list[tuple[int, float]]:
    """The newest ``WINDOW`` matches of all ``terms``: (item id, rank), higher ranks better."""
    if session.get_bind().dialect.name != "postgresql":
        values = dict(query=_query("sqlite", terms), window=WINDOW, **_in_columns(terms))
        return _ranked(session.execute(text(SQLITE), values))
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    query = _query("postgresql", terms)
    newest, floor = _floor(session, query)
    if floor:
        values = {
            "query": query,
            "window": WINDOW,
            "floor": floor,
            "buckets": _buckets(floor, newest),
        }
        found = _ranked(session.execute(text(POSTGRES_RECENT), values))
        if len(found) == WINDOW:
            return found
    return _ranked(session.execute(text(POSTGRES), {"query": query, "window": WINDOW}))


def _buckets(floor: int, newest: int) -> str:
    """A tsquery for the rows of the buckets from ``floor``'s to the one after ``newest``'s (a
    row written since the probe): whole coarse buckets where they fit, fine ones at the edges."""
    per, bucket, last = COARSE // BUCKET, floor // BUCKET, newest // BUCKET + 1
    lexemes = []
    while bucket <= last:
        if bucket % per == 0 and bucket + per - 1 <= last:
            lexemes.append(f"'~c{bucket // per}'")
            bucket += per
        else:
            lexemes.append(f"'~{bucket}'")
            bucket += 1
    return " | ".join(lexemes)


def _ranked(rows: Iterable[Any]) -> list[tuple[int, float]]:
    return [(int(item_id), float(rank)) for item_id, rank in rows]


def _hits(
    session: Session,
    ranked: Sequence[int],
    digest: str | None,
    statuses: Sequence[str] | None,
    limit: int,
) -> list[SearchHit]:
    """The items ``ranked`` (best first) that pass the filters, up to ``limit`` of them."""
    sql, values = _ITEMS, dict[str, Any]()
    if digest is not None:
        sql, values["digest"] = f"{sql} AND item.digest = :digest", digest
    if statuses:
        sql, values["statuses"] = f"{sql} AND item.status IN :statuses", list(statuses)
    statement = text(sql).bindparams(bindparam("ids", expanding=True))
    if statuses:
        statement = statement.bindparams(bindparam("statuses", expanding=True))
    hits: list[SearchHit] = []
    start, size = 0, FIRST * limit
    while start < len(ranked) and len(hits) < limit:
        chunk = ranked[start : start + size]
        rows = {row[0]: row for row in session.execute(statement, {**values, "ids": chunk})}
        hits.extend(_hit(rows[item_id]) for item_id in chunk if item_id in rows)
        start, size = start + size, size * 2
    return hits[:limit]


def _hit(row: Any) -> SearchHit:
    item_id, digest, title, url, status, why, site, number, date = row
    if isinstance(date, str):  # SQLite hands back text from a raw query
        date = datetime.fromisoformat(date)
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return SearchHit(item_id, digest, title, url, status, why, site, number, date)
