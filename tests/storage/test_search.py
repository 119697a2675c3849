"""Full-text search (issue 21) on SQLite FTS5 and PostgreSQL: the index follows inserts, edits,
enrichment, renames and merges through the triggers, ranks the title first, and no input —
however hostile — is a syntax error."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage import search
from storage.db import Database
from storage.models import Item
from storage.repo import Repo
from storage.search import search_terms
from tests.core.helpers import ANN, BOB, EDITOR, items, post, react, service


def _search(db: Database, words: str, **options: object) -> list[str]:
    with db.session() as session:
        return [hit.url for hit in Repo(session).search_items(words, **options)]  # type: ignore[arg-type]


def _seed(db: Database) -> None:
    core = service(db)
    core.handle_sync(post("slack:C1", "1", ANN, "https://a.com/x why: Postgres indexes explained"))
    core.handle_sync(post("slack:C1", "2", BOB, "https://b.com/y why: a story about gardens", 1))
    with db.session() as session:
        for item in Repo(session).items():
            if item.url == "https://b.com/y":
                item.title, item.site_name = "Indexing databases at scale", "Ars Technica"
                item.summary = "Why PostgreSQL's GIN indexes are fast"
        session.commit()


def test_fields_are_searchable_and_follow_changes(db: Database) -> None:
    _seed(db)
    assert _search(db, "gardens") == ["https://b.com/y"]  # why
    assert _search(db, "ars technica") == ["https://b.com/y"]  # site
    assert _search(db, "Bob") == ["https://b.com/y"]  # the sharer's name
    assert _search(db, "databases") == ["https://b.com/y"]  # title, stemmed
    assert _search(db, "database") == ["https://b.com/y"]
    assert sorted(_search(db, "indexes")) == ["https://a.com/x", "https://b.com/y"]
    assert _search(db, "indexes gardens") == ["https://b.com/y"]  # every word must match
    service(db).handle_sync(post("slack:C1", "3", ANN, "https://a.com/x why: tulips", 5, "1"))
    assert _search(db, "tulips") == ["https://a.com/x"]  # the sharer's newer why replaces...
    assert _search(db, "explained") == []  # ...the old one, in the index too


def test_title_ranks_first_and_filters_apply(db: Database) -> None:
    _seed(db)
    core = service(db)
    for n in range(4):  # BM25 needs a corpus where "index" is not in most documents
        core.handle_sync(post("slack:C1", f"o{n}", ANN, f"https://o.com/{n} why: other {n}", 9))
    with db.session() as session:  # enriched pages all have titles (BM25 weighs by length)
        for item in Repo(session).items():
            item.title = item.title or f"A page about things number {item.id}"
        session.commit()
    assert _search(db, "indexing") == ["https://b.com/y", "https://a.com/x"]  # title first
    service(db).handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 3))
    assert _search(db, "indexes", statuses=["approved"]) == ["https://a.com/x"]
    assert _search(db, "indexes", digest="other") == []


def test_a_rename_reaches_the_index(db: Database) -> None:
    _seed(db)
    with db.session() as session:
        Repo(session).save_person_name(BOB.id, "Roberta")
        session.commit()
    assert _search(db, "roberta") == ["https://b.com/y"]
    assert _search(db, "bob") == []


def test_deleted_items_leave_the_index(db: Database) -> None:
    _seed(db)
    with db.session() as session:
        for item in Repo(session).items():
            session.delete(session.get(Item, item.id))
        session.commit()
    assert _search(db, "indexes") == []
    assert items(db) == []


@pytest.mark.parametrize(
    "hostile",
    ['"', "'", "AND", "OR NOT", "title:x", "x*", "(((", "NEAR(a b)", "a & | ! b", "\\", "-", "^",
     "", "%_", "'; DROP TABLE item; --", "🙂", "a" * 500, " ".join(["w"] * 100)],
)  # fmt: skip
def test_hostile_queries_find_nothing_without_an_error(db: Database, hostile: str) -> None:
    _seed(db)
    assert _search(db, hostile) == []


def test_terms_are_plain_words() -> None:
    assert search_terms('title:"Rust" OR NEAR(x*)') == ["title", "rust", "or", "near", "x"]
    assert len(search_terms(" ".join(["w"] * 100))) == 12


def test_the_newest_window_of_matches_is_ranked_however_it_is_found(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "WINDOW", 2)
    # PostgreSQL: the newest 3 rows tell how far back to look for the newest 2 matches
    monkeypatch.setattr(search, "PROBE", 3)
    monkeypatch.setattr(search, "MARGIN", 1.0)
    core = service(db)
    whys = ["middle rare", "rare", "common", "common", "common", "common", "middle"]
    for n, why in enumerate(whys):
        core.handle_sync(post("slack:C1", str(n), ANN, f"https://w.com/{n} why: {why}"))
    assert sorted(_search(db, "common")) == ["https://w.com/4", "https://w.com/5"]  # newest 2
    assert sorted(_search(db, "rare")) == ["https://w.com/0", "https://w.com/1"]
    # 1 in the newest 3: looked for in the newest 6, where it falls short, then everywhere
    assert sorted(_search(db, "middle")) == ["https://w.com/0", "https://w.com/6"]
    if db.engine.dialect.name == "postgresql":
        with db.session() as session:
            newest = max(item.id or 0 for item in Repo(session).items())
            probes = [search._floor(session, f"'{word}'") for word in ("common", "middle", "rare")]
        # 2 in 3: 3 rows hold 2; 1 in 3: 6; none
        assert probes == [(newest, newest - 3), (newest, newest - 6), (newest, 0)]


def test_a_rank_depends_on_the_row_alone_not_on_how_common_its_words_are(db: Database) -> None:
    # bm25() would weigh the rarer word up (and find out how rare by walking all its matches)
    core = service(db)
    pages = {"https://a.com/t": ("beta", "alpha"), "https://b.com/t": ("alpha", "beta")}
    for n, (url, (_title, why)) in enumerate(pages.items()):
        core.handle_sync(post("slack:C1", str(n), ANN, f"{url} why: {why}", n))
    with db.session() as session:
        for item in Repo(session).items():
            item.title = pages[item.url][0]
        session.commit()
    for n in range(8):  # alpha becomes a common word, beta stays rare
        core.handle_sync(post("slack:C1", f"o{n}", BOB, f"https://o.com/{n} why: alpha", 9 + n))
    # each has one word in its title, one in its why: a tie, the newer first
    assert _search(db, "alpha beta") == ["https://b.com/t", "https://a.com/t"]


def test_filters_that_reject_the_best_matches_read_on(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "FIRST", 1)  # items are read 1, 2, 4... at a time
    core = service(db)
    for n in range(4):
        core.handle_sync(post("slack:C1", str(n), ANN, f"https://g.com/{n} why: gardens {n}", n))
    core.handle_sync(react("slack:C1", "0", EDITOR, "white_check_mark", 9))
    assert _search(db, "gardens", limit=1) == ["https://g.com/3"]  # the newest
    assert _search(db, "gardens", statuses=["approved"], limit=1) == ["https://g.com/0"]


def test_postgres_searches_never_scan_a_pending_list(db: Database) -> None:
    # with GIN's fastupdate, new rows wait in a list that every search reads whole (up to 4 MB)
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL index")
    _seed(db)
    with db.engine.begin() as connection:
        pending = connection.exec_driver_sql(
            "SELECT gin_clean_pending_list(indexrelid) FROM pg_index JOIN pg_class index "
            "ON index.oid = indexrelid JOIN pg_am ON pg_am.oid = index.relam "
            "WHERE indrelid = 'item_search'::regclass AND amname = 'gin'"
        ).scalars()
        assert list(pending) == [0]  # one GIN index, and nothing waiting outside it


def test_postgres_finds_the_newest_matches_across_id_buckets(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's id buckets")
    monkeypatch.setattr(search, "WINDOW", 3)
    monkeypatch.setattr(search, "PROBE", 2)
    monkeypatch.setattr(search, "MARGIN", 1.0)
    core = service(db)
    for n in range(5):  # id 1, then 4 ids across the first boundary between buckets 1 and 2
        if n == 1:
            with db.engine.begin() as connection:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('item', 'id'), {2 * search.BUCKET - 3})"
                )
        core.handle_sync(post("slack:C1", str(n), ANN, f"https://k.com/{n} why: common", n))
    with db.session() as session:
        newest, floor = search._floor(session, "'common'")
    assert (floor, newest) == (2 * search.BUCKET - 2, 2 * search.BUCKET + 1)
    assert search._buckets(floor, newest) == "'~1' | '~2' | '~3'"
    assert sorted(_search(db, "common")) == [
        "https://k.com/2",
        "https://k.com/3",
        "https://k.com/4",
    ]


def test_postgres_plans_each_search_for_its_own_words(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    _seed(db)
    with db.session() as session:
        for _ in range(7):  # psycopg prepares from the 5th run: a plan for any words could follow
            assert [hit.url for hit in Repo(session).search_items("gardens")] == ["https://b.com/y"]
        mode = session.execute(text("SHOW plan_cache_mode")).scalar_one()
    assert mode == "force_custom_plan"


def test_buckets_are_coarse_where_whole_ones_fit() -> None:
    fine, coarse = search.BUCKET, search.COARSE
    assert search._buckets(0, 2 * coarse) == "'~c0' | '~c1' | '~32' | '~33'"
    assert search._buckets(15 * fine + 1, coarse + 5) == "'~15' | '~16' | '~17'"
