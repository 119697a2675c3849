"""The assist against a real fake OpenAI-compatible server and real databases (SQLite file and
PostgreSQL): good answers, HTTP 500, a hang, malformed replies and an exhausted budget."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.assist.extractive import extractive_summary
from bot.assist.service import BUDGET_EXHAUSTED, AssistService
from bot.config import Config
from storage.db import Database
from storage.models import AssistLog, Item
from storage.repo import Repo
from tests.assist.fake_openai import (
    HTTP_500,
    NO_CHOICES,
    NOT_JSON,
    FakeModel,
    Reply,
    fake_openai,
    good,
    hang,
)
from tests.assist.pages import article
from tests.core.helpers import ANN, CONFIG, EDITOR, config, post, react, service

ARTICLE = article("aclu")
FLUFF = "Welcome to the world's leading platform! Sign up for a free trial today and save!"
GOOD_DESCRIPTION = (
    "Facebook collects data about people who have never even opted in, but there are ways "
    "these non-users can protect themselves."
)
JUNE = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


class Clock:
    """A settable ``now`` for budgets and back-off."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
async def model() -> AsyncIterator[FakeModel]:
    async with fake_openai() as fake:
        yield fake


def assist_config(url: str, enabled: bool = True, **keys: object) -> Config:
    settings = {
        "enabled": enabled,
        "base_url": url,
        "model": "test-model",
        "timeout_seconds": 0.3,
        "poll_seconds": 60,
        **keys,
    }
    lines = [f"{key} = {_toml(value)}" for key, value in settings.items()]
    return config(CONFIG + "\n[assist]\n" + "\n".join(lines) + "\n")


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def shared_item(
    db: Database,
    n: int = 1,
    *,
    summary: str | None = None,
    summary_source: str | None = None,
    approved: bool = False,
) -> int:
    """An item captured by the real core, then enriched the way the enrichment worker does."""
    core = service(db)
    core.handle_sync(post("slack:C1", f"{n}.0", ANN, f"<https://example.com/story-{n}>"))
    if approved:
        core.handle_sync(react("slack:C1", f"{n}.0", EDITOR, "white_check_mark", 1))
    with db.session() as session:
        item = Repo(session).item_by_url("weekly", f"https://example.com/story-{n}")
        assert item is not None
        assert item.id is not None
        item.enrich_status, item.main_text = "done", ARTICLE
        item.title = "Facebook Is Tracking Me Even Though I'm Not on Facebook"
        item.summary, item.summary_source = summary, summary_source
        return item.id


def load(db: Database, item_id: int) -> Item:
    with db.session() as session:
        item = session.get(Item, item_id)
        assert item is not None
        return item


def logs(db: Database, item_id: int | None = None) -> list[AssistLog]:
    with db.session() as session:
        query = select(AssistLog).order_by(AssistLog.id)  # type: ignore[arg-type]
        if item_id is not None:
            query = query.where(AssistLog.item_id == item_id)
        return list(session.exec(query).all())


async def test_good_answers_fill_summary_section_and_why(
    db: Database, model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKLETTER_ASSIST_API_KEY", "sk-local-test")
    item_id = shared_item(db, approved=True)
    model.replies = [
        good(
            "Summary: **Facebook** tracks people who never joined. It uses web bugs. A third "
            "sentence. A fourth sentence that must go.",
            tokens=120,
        ),
        good("Data Engineering", tokens=30),
        good("Why it matters: it shows how tracking reaches non-users.", tokens=40),
    ]
    assist = AssistService(assist_config(model.url), db)
    outcomes = await assist.sweep()
    await assist.aclose()

    item = load(db, item_id)
    assert outcomes[0].done == ("summary", "section", "why")
    assert item.summary == (
        "Facebook tracks people who never joined. It uses web bugs. A third sentence."
    )
    assert item.summary_source == "assist"
    assert item.suggested_section == "Data Engineering"
    assert item.suggested_why == "it shows how tracking reaches non-users."
    assert item.why is None  # a suggestion is never the published why
    assert item.assist_error is None
    entries = logs(db, item_id)
    assert [(e.feature, e.tokens, e.error) for e in entries] == [
        ("summary", 120, None),
        ("section", 30, None),
        ("why", 40, None),
    ]
    assert all(e.model == "test-model" and "Facebook" in e.prompt for e in entries)
    assert entries[1].output == "Data Engineering"
    assert "- Machine Learning\n- Data Engineering" in entries[1].prompt
    request = model.requests[0]
    assert (request["model"], request["stream"]) == ("test-model", False)
    assert ARTICLE.split("\n")[0][:50] in request["messages"][1]["content"]
    assert model.headers[0]["Authorization"] == "Bearer sk-local-test"


async def test_nothing_is_asked_twice(db: Database, model: FakeModel) -> None:
    item_id = shared_item(db, approved=True)
    model.replies = [good("One. Two."), good("NONE"), good("Because.")]
    assist = AssistService(assist_config(model.url), db)
    await assist.sweep()
    assert await assist.sweep() == []
    await assist.aclose()
    assert len(model.requests) == 3
    item = load(db, item_id)
    assert item.suggested_section is None  # NONE is an answer, not a failure
    assert [e.error for e in logs(db)] == [None, None, None]


async def test_http_500_leaves_the_item_as_it_was(db: Database, model: FakeModel) -> None:
    item_id = shared_item(db, summary=FLUFF, summary_source="page")
    model.replies = [HTTP_500]
    assist = AssistService(assist_config(model.url, features=["summary"]), db)
    await assist.sweep()
    await assist.aclose()

    item = load(db, item_id)
    assert (item.summary, item.summary_source) == (FLUFF, "page")
    assert item.assist_error == "summary: HTTP 500: model crashed"
    [entry] = logs(db, item_id)
    assert (entry.error, entry.output, entry.tokens) == ("HTTP 500: model crashed", None, 0)


async def test_a_hanging_model_times_out_without_blocking_the_loop(
    db: Database, model: FakeModel
) -> None:
    item_id = shared_item(db)
    model.replies = [hang(3)]
    assist = AssistService(assist_config(model.url, features=["summary"]), db)
    ticks = 0

    async def scheduler() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(scheduler())
    started = time.monotonic()
    await assist.sweep()
    elapsed = time.monotonic() - started
    ticker.cancel()
    await assist.aclose()

    assert elapsed < 2
    assert ticks >= 10  # the event loop kept running while the model hung
    item = load(db, item_id)
    assert item.assist_error == "summary: no answer within 0.3 s"
    # the page had no description: the extractive summary fills in
    assert (item.summary, item.summary_source) == (extractive_summary(ARTICLE), "main-text")
    [entry] = logs(db, item_id)
    assert entry.error == "no answer within 0.3 s"


@pytest.mark.parametrize(
    ("reply", "error", "tokens"),
    [
        (NOT_JSON, "malformed reply: not JSON (b'<html>Bad gateway</html>')", 0),
        (NO_CHOICES, "malformed reply: no choices[0].message.content", 12),
    ],
)
async def test_malformed_replies_are_errors(
    db: Database, model: FakeModel, reply: Reply, error: str, tokens: int
) -> None:
    item_id = shared_item(db, summary=FLUFF, summary_source="page")
    model.replies = [reply]
    assist = AssistService(assist_config(model.url, features=["summary"]), db)
    await assist.sweep()
    await assist.aclose()
    item = load(db, item_id)
    assert item.assist_error == f"summary: {error}"
    assert item.summary == FLUFF
    assert [(e.error, e.tokens) for e in logs(db, item_id)] == [(error, tokens)]


async def test_budget_exhaustion_stops_calls_until_next_month(
    db: Database, model: FakeModel
) -> None:
    first, second, third = (shared_item(db, n) for n in (1, 2, 3))
    model.replies = [good("Counted.", tokens=200) for _ in range(3)]
    clock = Clock(JUNE)
    settings = assist_config(model.url, features=["summary"], monthly_token_budget=250)
    assist = AssistService(settings, db, now=clock)
    await assist.sweep()

    assert len(model.requests) == 2  # 200, then 400 ≥ 250: the third is not asked
    assert load(db, first).summary_source == load(db, second).summary_source == "assist"
    late = load(db, third)
    assert late.assist_error == f"{BUDGET_EXHAUSTED} (400 of 250 tokens used since 2026-06-01)"
    assert (late.summary, late.summary_source) == (extractive_summary(ARTICLE), "main-text")
    assert logs(db, third) == []
    assert (await assist.usage()).used == 400

    clock.moment = datetime(2026, 7, 1, 0, 0, 1, tzinfo=UTC)
    await assist.sweep()
    await assist.aclose()
    assert len(model.requests) == 3
    late = load(db, third)
    assert (late.summary_source, late.assist_error) == ("assist", None)


async def test_failures_back_off_and_stop_after_max_attempts(
    db: Database, model: FakeModel
) -> None:
    item_id = shared_item(db, summary=FLUFF, summary_source="page")
    model.replies = [HTTP_500, HTTP_500]
    clock = Clock(JUNE)
    settings = assist_config(model.url, features=["summary"], max_attempts=2, poll_seconds=10)
    assist = AssistService(settings, db, now=clock)
    await assist.sweep()
    await assist.sweep()  # within the back-off: not asked again
    assert len(model.requests) == 1
    clock.moment += timedelta(seconds=21)
    await assist.sweep()
    clock.moment += timedelta(days=1)
    await assist.sweep()  # two failures: given up
    await assist.aclose()
    assert len(model.requests) == 2
    assert load(db, item_id).summary == FLUFF


async def test_usable_descriptions_and_editor_summaries_are_kept(
    db: Database, model: FakeModel
) -> None:
    described = shared_item(db, 1, summary=GOOD_DESCRIPTION, summary_source="page")
    edited = shared_item(db, 2, summary="The editor's words.", summary_source="editor")
    assist = AssistService(assist_config(model.url, features=["summary"]), db)
    await assist.sweep()
    await assist.aclose()
    assert model.requests == []
    assert load(db, described).summary == GOOD_DESCRIPTION
    assert load(db, edited).summary == "The editor's words."


async def test_without_assist_only_missing_descriptions_get_the_extractive_summary(
    db: Database,
) -> None:
    missing = shared_item(db, 1)
    fluffy = shared_item(db, 2, summary=FLUFF, summary_source="page")
    assist = AssistService(assist_config("http://127.0.0.1:9/v1", enabled=False), db)
    assert assist.client is None
    await assist.sweep()
    assert (load(db, missing).summary, load(db, missing).summary_source) == (
        extractive_summary(ARTICLE),
        "main-text",
    )
    assert load(db, fluffy).summary == FLUFF
    assert logs(db) == []


async def test_a_section_the_digest_does_not_have_is_refused(
    db: Database, model: FakeModel
) -> None:
    item_id = shared_item(db, summary=GOOD_DESCRIPTION, summary_source="page")
    model.replies = [good("Celebrity Gossip")]
    assist = AssistService(assist_config(model.url, features=["section"]), db)
    await assist.sweep()
    await assist.aclose()
    item = load(db, item_id)
    assert item.suggested_section is None
    assert item.assist_error is not None
    assert "is not one of the configured sections" in item.assist_error
    [entry] = logs(db, item_id)
    assert entry.output == "Celebrity Gossip"


async def test_model_output_is_plain_text(db: Database, model: FakeModel) -> None:
    """Reliability row 10: chat and HTML markup from the model never reaches an item."""
    item_id = shared_item(db, approved=True)
    model.replies = [
        good(
            "<think>plan the answer</think><b>Tracking</b> <!channel> hits <@U1> "
            "[non-users](http://evil) and <https://evil|ok>. It is &lt;script&gt;bad."
        ),
        good("NONE"),
        good("# Heading\n> quoted <img src=x onerror=alert(1)> why"),
    ]
    assist = AssistService(assist_config(model.url), db)
    await assist.sweep()
    await assist.aclose()
    item = load(db, item_id)
    assert item.summary == "Tracking hits non-users and ok. It is bad."
    assert item.suggested_why == "Heading quoted why"


async def test_run_forever_stops_when_asked(db: Database, model: FakeModel) -> None:
    shared_item(db)
    model.replies = [hang(3)]
    assist = AssistService(assist_config(model.url, features=["summary"]), db)
    stop = asyncio.Event()
    loop = asyncio.create_task(assist.run_forever(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, 2)
    await assist.aclose()
    assert len(model.requests) == 1


async def test_a_suggested_section_places_the_item(db: Database, model: FakeModel) -> None:
    """Below every rule, above the default (bot.curate.rules ranks 'suggested' there)."""
    item_id = shared_item(db, summary=GOOD_DESCRIPTION, summary_source="page")
    model.replies = [good("Machine Learning")]
    assist = AssistService(assist_config(model.url, features=["section"]), db)
    await assist.sweep()
    await assist.aclose()
    item = load(db, item_id)
    assert (item.section, item.section_source) == ("Machine Learning", "suggested")
