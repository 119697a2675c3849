"""Any issue (hypothesis strategies) and the largest realistic one, for the renderers' limit
tests (tests/slack, tests/discord): lengths counted in UTF-16 code units as the platforms count."""

from __future__ import annotations

import operator
from dataclasses import replace

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.digest.model import CompiledIssue, IssueItem, IssueSection

from .issues import HOSTILE, PERIOD_END, PERIOD_START


def units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


ODD = st.sampled_from(
    [*HOSTILE, "", " ", "\u202e", "\u0000\u001b", "🧑🏽‍💻", "&" * 40, '"\\' * 30, "لماذا", "\n\n"]
)
SHORT = st.text(max_size=40)
HUGE = st.builds(operator.mul, st.text(min_size=1, max_size=8), st.integers(300, 1_200))
TEXT = st.one_of(SHORT, HUGE, ODD, st.lists(st.one_of(ODD, SHORT), max_size=6).map("".join))
URL = st.one_of(
    st.sampled_from(["https://example.com/a?b=1&c=2", "http://ex.org/(x)|y", "javascript:x"]),
    TEXT.map(lambda path: "https://example.com/" + path),
    TEXT,
)
COUNT = st.none() | st.integers(0, 10**12)
ITEM = st.builds(
    IssueItem,
    number=st.just(0),
    item_id=st.just(0),
    url=URL,
    title=TEXT,
    summary=st.none() | TEXT,
    why=st.none() | TEXT,
    image_url=st.none() | URL,
    site_name=st.none() | TEXT,
    word_count=COUNT,
    reading_minutes=COUNT,
    shared_by=st.none() | TEXT,
    featured=st.booleans(),
    votes=st.integers(-5, 1_000),
)


@st.composite
def issues(draw: st.DrawFn) -> CompiledIssue:
    """Any issue: arbitrary text everywhere, up to 5 sections of up to 25 items, numbered 1..n."""
    sections = draw(st.lists(st.tuples(TEXT, st.lists(ITEM, max_size=25)), max_size=5))
    numbered: list[IssueSection] = []
    count = 0
    for name, items in sections:
        renumbered = []
        for item in items:
            count += 1
            renumbered.append(replace(item, number=count, item_id=count))
        numbered.append(IssueSection(name, tuple(renumbered)))
    return CompiledIssue(
        digest=draw(TEXT),
        number=draw(st.integers(1, 10**6)),
        title=draw(TEXT),
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        sections=tuple(numbered),
        intro=draw(st.none() | TEXT),
        outro=draw(st.none() | TEXT),
        read_more=draw(st.sampled_from(["words", "minutes"])),
        public_url=draw(st.none() | URL),
    )


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def huge_issue() -> CompiledIssue:
    """Reliability row 11: 300 links with 5,000-character titles (and summaries, and whys)."""
    huge = "Title & <words> @everyone " * 200
    items = tuple(
        IssueItem(
            number=n,
            item_id=n,
            url=f"https://example.com/{n}?q=" + "&" * 900,
            title=huge[:5_000],
            summary=huge,
            why=huge,
            image_url=f"https://img.example.com/{n}.png",
            site_name=huge,
            word_count=n * 1_000,
            shared_by=huge,
            featured=n % 50 == 1,
        )
        for n in range(1, 301)
    )
    return CompiledIssue(
        digest="weekly",
        number=1,
        title=huge,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        sections=(IssueSection(huge, items[:150]), IssueSection("Rest", items[150:])),
        intro=huge,
        outro=huge,
        public_url="https://news.example.com/1",
    )
