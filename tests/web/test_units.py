"""Small pure pieces: week buckets, domains, the chart's geometry, relative links, event kinds."""

from __future__ import annotations

from datetime import UTC, date, datetime

from starlette.requests import Request

from bot.app.metrics import event_kind
from bot.web.pages import app_path, relative_root
from bot.web.stats import WeekCount, bar_chart, domain, top_domains, week_start, weekly_counts
from storage.stats import SharedItem
from tests.core.helpers import ANN, post, react


def test_weeks_start_on_monday_in_utc() -> None:
    assert week_start(datetime(2026, 11, 22, 23, 59, tzinfo=UTC)) == date(2026, 11, 16)  # Sunday
    assert week_start(datetime(2026, 11, 23, 0, 0, tzinfo=UTC)) == date(2026, 11, 23)
    assert week_start(datetime(2026, 11, 23, 0, 30)) == date(2026, 11, 23)  # naive means UTC


def test_weekly_counts_fill_empty_weeks_and_count_approvals() -> None:
    items = [
        SharedItem(datetime(2026, 11, 17), "https://a.example/1", "published"),
        SharedItem(datetime(2026, 11, 18), "https://a.example/2", "rejected"),
        SharedItem(datetime(2026, 12, 1), "https://b.example/3", "approved"),
    ]
    weeks = weekly_counts(items, date(2026, 11, 16), 3)
    assert weeks == [
        WeekCount(date(2026, 11, 16), 2, 1),
        WeekCount(date(2026, 11, 23), 0, 0),
        WeekCount(date(2026, 11, 30), 1, 1),
    ]
    assert [(row.label, row.count) for row in top_domains(items)] == [
        ("a.example", 2),
        ("b.example", 1),
    ]


def test_domains_drop_www_and_case() -> None:
    assert domain("https://WWW.Example.org/x") == "example.org"
    assert domain("http://[::1]:8080/") == "::1"


def test_the_busiest_week_fills_the_chart_height() -> None:
    weeks = [WeekCount(date(2026, 11, 16), 4, 1), WeekCount(date(2026, 11, 23), 2, 2)]
    chart = bar_chart(weeks)
    heights = [bar.height for bar in chart.bars]
    full = chart.baseline - chart.top
    assert heights == [full, full / 4, full / 2, full / 2]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert chart.bars[0].label == "week of 2026-11-16: 4 shared"


def test_an_empty_chart_has_flat_bars() -> None:
    chart = bar_chart([WeekCount(date(2026, 11, 16), 0, 0)])
    assert chart.maximum == 1
    assert [bar.height for bar in chart.bars] == [0, 0]


def test_relative_root_climbs_back_to_the_archive() -> None:
    assert relative_root("/") == "./"
    assert relative_root("/stats") == "./"
    assert relative_root("/d/weekly/") == "../../"
    assert relative_root("/d/weekly/3") == "../../"


def test_links_climb_to_the_app_root_not_above_a_proxy_prefix() -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "https",
        "server": ("example.org", 443),
        "path": "/linkletter/d/weekly/3",
        "root_path": "/linkletter",
        "query_string": b"",
        "headers": [],
    }
    assert relative_root(app_path(Request(scope))) == "../../"
    assert app_path(Request({**scope, "path": "/linkletter"})) == "/"


def test_event_kinds_are_snake_case_class_names() -> None:
    posted = post("slack:C1", "1", ANN, "hi")
    reacted = react("slack:C1", "1", ANN, "x", 1)
    assert (event_kind(posted), event_kind(reacted)) == ("message_posted", "reaction_added")
