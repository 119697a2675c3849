"""What each renderer says about an item: the newsletter lines, omitted when data is missing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from adapters.discord.render import render_discord
from adapters.slack.render import render_slack
from bot.digest.model import CompiledIssue, IssueItem, IssueSection
from bot.digest.render import (
    RENDERERS,
    formats,
    render,
    render_html_email,
    render_json,
    render_markdown,
    render_text,
)
from bot.digest.render._common import fit, measure, period_label, safe_url

from .issues import PERIOD_END, PERIOD_START, edge_case_issue

FULL = IssueItem(
    number=1,
    item_id=11,
    url="https://erikbern.com/2021/07/07/the-data-team-a-short-story.html",
    title="It's not all about machine learning",
    summary="Early stage start-ups tend not to use data to drive decisions.",
    why="A parable that many in data science will find instructive",
    image_url="https://ortom.co.uk/assets/images/newsletter/issue_23/unsplash.jpeg",
    site_name="erikbern.com",
    word_count=4_979,
    reading_minutes=22,
    shared_by="Ana",
)
BARE = IssueItem(number=2, item_id=12, url="https://example.org/bare", title="Bare link")


def one_section(*items: IssueItem, read_more: str = "words") -> CompiledIssue:
    return CompiledIssue(
        digest="weekly",
        number=3,
        title="Weekly — Issue 3",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        sections=(IssueSection("Machine Learning", items),),
        read_more=read_more,
    )


def as_text(output: object) -> str:
    return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)


TEXT_FORMATS = ["slack", "discord", "markdown", "html", "text"]


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_full_item_has_every_newsletter_line(fmt: str) -> None:
    out = as_text(render(one_section(FULL), fmt))
    for expected in ("Machine Learning", "1.", "Read more (4,979 words)", "Why this matters:"):
        assert expected in out
    for expected in ("🏛️", "📖", "erikbern.com", "shared by Ana", "Early stage start-ups"):
        assert expected in out


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_minutes_mode_says_min_read(fmt: str) -> None:
    out = as_text(render(one_section(FULL, read_more="minutes"), fmt))
    assert "(22 min read)" in out
    assert "words)" not in out


def test_minutes_are_estimated_from_words_when_missing() -> None:
    item = replace(FULL, reading_minutes=None, word_count=2_300)
    assert "(10 min read)" in render_text(one_section(item, read_more="minutes"))


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_missing_fields_omit_their_lines(fmt: str) -> None:
    out = as_text(render(one_section(BARE), fmt))
    if fmt == "html":  # Outlook's conditional comment ends in "<![endif]-->", no Markdown image
        out = out.replace("<![endif]-->", "")
    assert "Bare link" in out
    for absent in (
        "Why this matters",
        "Read more (",
        "shared by",
        "min read",
        "<img",
        "![",
        "ortom",
    ):
        assert absent not in out


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_featured_item_is_starred(fmt: str) -> None:
    assert "⭐" in as_text(render(one_section(replace(FULL, featured=True)), fmt))
    assert "⭐" not in as_text(render(one_section(FULL), fmt))


def test_single_word_is_singular() -> None:
    assert "Read more (1 word)" in render_text(one_section(replace(FULL, word_count=1)))


def test_empty_issue_renders_the_digests_note() -> None:
    """``post_when_empty`` issues say the digest's ``empty_text``."""
    empty = replace(one_section(FULL), sections=(), empty_note="Quiet week: nothing shared.")
    for fmt in TEXT_FORMATS:
        assert "Quiet week: nothing shared." in as_text(render(empty, fmt))


def test_markdown_front_matter_like_the_examples() -> None:
    issue = replace(one_section(FULL), intro="This week: data teams.", tags=("ml", "data"))
    head = render_markdown(issue).split("---\n")[1].splitlines()
    fields = dict(line.split(": ", 1) for line in head)
    assert json.loads(fields["title"]) == "Weekly — Issue 3"
    assert fields["date"] == PERIOD_END.isoformat()
    assert fields["tags"] == '["ml", "data"]'
    assert json.loads(fields["description"]) == "This week: data teams."


def test_markdown_image_and_read_more_link() -> None:
    out = render_markdown(one_section(FULL))
    assert f"![It's not all about machine learning]({FULL.image_url})" in out
    assert f"[📖 Read more (4,979 words)]({FULL.url}) · erikbern.com · shared by Ana" in out


def test_json_follows_the_documented_schema() -> None:
    data = json.loads(render_json(edge_case_issue()))
    assert data["schema_version"] == 1
    assert list(data) == [
        "schema_version", "digest", "number", "title", "period", "intro", "outro",
        "public_url", "tags", "sections",
    ]  # fmt: skip
    item = data["sections"][0]["items"][0]
    assert list(item) == [
        "number", "title", "url", "summary", "why", "image_url", "site_name", "word_count",
        "reading_minutes", "shared_by", "featured", "votes", "revisited",
    ]  # fmt: skip
    assert data["period"] == {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat()}
    assert [i["number"] for s in data["sections"] for i in s["items"]] == list(range(1, 61))


def test_schema_document_example_has_the_output_keys() -> None:
    """docs/digest-json-schema.md's example must show exactly the keys render_json writes."""
    doc = (Path(__file__).parents[2] / "docs" / "digest-json-schema.md").read_text(encoding="utf-8")
    example = json.loads(doc.split("```json\n")[1].split("```")[0])
    data = json.loads(render_json(one_section(FULL)))
    assert list(example) == list(data)
    assert list(example["sections"][0]["items"][0]) == list(data["sections"][0]["items"][0])


def test_json_leaves_out_empty_sections() -> None:
    issue = replace(
        one_section(FULL), sections=(IssueSection("Empty", ()), IssueSection("A", (FULL,)))
    )
    assert [s["name"] for s in json.loads(render_json(issue))["sections"]] == ["A"]


def test_html_email_is_a_640px_table_with_scaled_images() -> None:
    tree = LexborHTMLParser(render_html_email(one_section(FULL)))
    card = tree.css_first("table.ll-card")
    assert card is not None
    assert "max-width:640px" in (card.attributes.get("style") or "")
    image = tree.css_first("img")
    assert image is not None
    assert "height:auto" in (image.attributes.get("style") or "")
    assert "width:100%" in (image.attributes.get("style") or "")


def test_right_to_left_text_gets_its_own_direction_in_html() -> None:
    arabic = replace(FULL, title="لماذا تفشل مشاريع تعلم الآلة")
    heading = LexborHTMLParser(render_html_email(one_section(arabic))).css_first("h3")
    assert heading is not None
    assert heading.attributes.get("dir") == "auto"
    assert "لماذا تفشل" in heading.text()


def test_renderer_registry_names_every_format() -> None:
    assert set(RENDERERS) == {"markdown", "html", "text", "json"}
    assert formats() == ("slack", "discord", "matrix", "markdown", "html", "text", "json")
    assert render(one_section(FULL), "slack") == render_slack(one_section(FULL))
    assert render(one_section(FULL), "discord") == render_discord(one_section(FULL))
    with pytest.raises(ValueError, match="unknown format 'pdf'; expected one of slack, discord"):
        render(one_section(FULL), "pdf")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ex.com/a b|c", "https://ex.com/a%20b%7Cc"),
        ("HTTP://ex.com/", "http://ex.com/"),
        ('https://ex.com/"><script>', "https://ex.com/%22%3E%3Cscript%3E"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>", None),
        ("file:///etc/passwd", None),
        ("https://", None),
        ("//ex.com/x", None),
        ("https://ex.com/" + "a" * 3_000, None),
        (None, None),
    ],
)
def test_only_plain_http_urls_are_linked(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_fit_cuts_at_a_word_before_escaping() -> None:
    escape = lambda s: s.replace("&", "&amp;")  # noqa: E731
    assert fit("a & b & c", 100, escape) == "a &amp; b &amp; c"
    cut = fit("alpha & beta & gamma", 12, escape)
    assert cut == "alpha &amp;…"
    assert measure(cut) <= 12
    assert measure(fit("🚀" * 10, 5)) <= 5  # astral emoji count twice


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (
            datetime(2026, 11, 16, tzinfo=UTC),
            datetime(2026, 11, 23, tzinfo=UTC),
            "16 – 22 November 2026",
        ),
        (
            datetime(2026, 10, 26, tzinfo=UTC),
            datetime(2026, 11, 2, tzinfo=UTC),
            "26 October – 1 November 2026",
        ),
        (
            datetime(2026, 12, 28, tzinfo=UTC),
            datetime(2027, 1, 4, tzinfo=UTC),
            "28 December 2026 – 3 January 2027",
        ),
        (
            datetime(2026, 11, 16, tzinfo=UTC),
            datetime(2026, 11, 17, tzinfo=UTC),
            "16 November 2026",
        ),
    ],
)
def test_period_label(start: datetime, end: datetime, label: str) -> None:
    issue = replace(one_section(FULL), period_start=start, period_end=end)
    assert period_label(issue) == label
