"""Extraction from real pages (Mozilla Readability's test pages) and from hostile bodies."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.enrich import extract as extract_module
from bot.enrich.extract import MAX_MAIN_TEXT_INPUT, MAX_NESTING, extract
from bot.enrich.fields import MAX_TITLE_CHARS
from bot.enrich.model import ExtractionFailed
from bot.enrich.pdf import extract_pdf
from tests.enrich.servers import FIXTURES, READABILITY

PAGE_URL = "http://fakehost/test/page.html"
CONTENT_TYPES = [None, "text/html", "text/html; charset=utf-16", "text/html; charset=bogus"]
PAGES = sorted(path.name for path in READABILITY.iterdir() if path.is_dir())


def _normalised(text: str | None) -> str | None:
    return " ".join((text or "").split()).casefold() or None


def _source(name: str) -> bytes:
    return (READABILITY / name / "source.html").read_bytes()


def _expected(name: str) -> dict[str, str | None]:
    data: dict[str, str | None] = json.loads(
        (READABILITY / name / "expected-metadata.json").read_text()
    )
    return data


@pytest.mark.parametrize("name", PAGES)
def test_title_site_and_excerpt_agree_with_readability(name: str) -> None:
    expected = _expected(name)
    page = extract(_source(name), PAGE_URL, "text/html; charset=utf-8")
    assert _normalised(page.title) == _normalised(expected["title"])
    assert _normalised(page.site_name) == _normalised(expected["siteName"])
    assert _normalised(page.summary) == _normalised(expected["excerpt"])


def test_article_details_of_a_news_page() -> None:
    page = extract(_source("medium-1"), PAGE_URL, "text/html; charset=utf-8")
    assert page.author == "Pippin Lee"
    assert page.published_at == datetime(2015, 3, 17, 16, 27, 40, 294000, tzinfo=UTC)
    assert page.image_url is not None
    assert page.image_url.startswith("https://")
    assert page.word_count is not None
    assert page.word_count > 2000
    assert not page.summary_is_fallback


def test_page_without_description_gets_a_fallback_summary_from_the_main_text() -> None:
    page = extract(_source("mozilla-1"), PAGE_URL, "text/html; charset=utf-8")
    assert page.lang == "en"
    assert page.summary_is_fallback
    assert page.summary is not None
    assert page.main_text is not None
    assert page.summary in page.main_text


def test_declared_charset_in_meta_is_used_when_the_header_has_none() -> None:
    """qq.com declares gb2312 in a meta tag; serve it really encoded that way."""
    text = _source("qq").decode("utf-8")
    page = extract(text.encode("gb18030"), PAGE_URL, "text/html")
    assert page.title == _expected("qq")["title"]


def test_http_charset_wins_over_a_stale_meta_charset() -> None:
    """The stored qq page is UTF-8 though its meta still says gb2312."""
    page = extract(_source("qq"), PAGE_URL, "text/html; charset=UTF-8")
    assert page.title == _expected("qq")["title"]


def test_charset_is_detected_when_nothing_declares_it() -> None:
    text = re.sub(r"charset=\"?utf-8\"?", "", _source("lemonde-1").decode("utf-8"), flags=re.I)
    assert "charset" not in text[:3000].lower()
    page = extract(text.encode("cp1252", errors="replace"), PAGE_URL, None)
    assert page.title == _expected("lemonde-1")["title"]


def test_broken_json_ld_does_not_crash_and_other_metadata_still_counts() -> None:
    html = (
        '<html><head><title>Plain title</title><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Broken", </script>'
        '<script type="application/ld+json">[1, "x", {"@graph": 7}]</script>'
        '<meta name="description" content="Still here."></head><body></body></html>'
    )
    page = extract(html, PAGE_URL, "text/html")
    assert (page.title, page.summary) == ("Plain title", "Still here.")


def test_binary_served_as_html_is_a_clear_failure() -> None:
    pdf = (FIXTURES / "shared-mime-info-spec.pdf").read_bytes()
    with pytest.raises(ExtractionFailed, match="binary"):
        extract(pdf[2000:60000], PAGE_URL, "text/html; charset=utf-8")


def test_the_nesting_limit_holds_at_its_edge_whatever_shortcut_the_guard_takes() -> None:
    """One element deeper than MAX_NESTING is refused; MAX_NESTING deep is read. The guard's
    shortcut (too few start tags to be that deep) must not let the first one through."""

    def nested(depth: int) -> str:
        return "<html><body>" + "<div>" * depth + "deep words" + "</div>" * depth + "</body></html>"

    with pytest.raises(ExtractionFailed, match="nested"):
        extract(nested(MAX_NESTING + 1), PAGE_URL, "text/html")
    assert extract(nested(MAX_NESTING), PAGE_URL, "text/html").final_url == PAGE_URL


class _CountingTags:
    """Stands in for the guard's tag pattern and counts the documents it scans."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.scans = pattern, 0

    def finditer(self, document: str) -> Iterator[re.Match[str]]:
        self.scans += 1
        return self.pattern.finditer(document)


def test_only_a_page_with_enough_start_tags_is_scanned_for_nesting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = _CountingTags(extract_module._TAG)
    monkeypatch.setattr(extract_module, "_TAG", counting)
    extract("<html><body><p>" + "word " * 50 + "</p></body></html>", PAGE_URL, None)
    assert counting.scans == 0
    extract("<html><body>" + "<b>x</b> " * (MAX_NESTING + 1) + "</body></html>", PAGE_URL, None)
    assert counting.scans == 1


def test_deeply_nested_markup_fails_fast_instead_of_hanging() -> None:
    html = "<html><body>" + "<div>" * 200_000 + "deep" + "</div>" * 200_000 + "</body></html>"
    started = time.monotonic()
    with pytest.raises(ExtractionFailed, match="nested"):
        extract(html, PAGE_URL, "text/html")
    assert time.monotonic() - started < 5  # lexbor alone would take minutes on this


@pytest.mark.slow
def test_huge_markup_is_cut_for_the_main_text_pass_not_refused() -> None:
    """3 MB of paragraphs: trafilatura sees the first MAX_MAIN_TEXT_INPUT characters only."""
    paragraph = "<p>lorem ipsum dolor sit amet consectetur</p>"
    html = f"<html><head><title>Big</title></head><body>{paragraph * 70_000}</body></html>"
    page = extract(html, PAGE_URL, "text/html")
    assert page.title == "Big"
    assert page.word_count is not None
    assert 0 < page.word_count <= 6 * MAX_MAIN_TEXT_INPUT // len(paragraph) < 6 * 70_000


def test_overlong_title_is_truncated() -> None:
    """reliability row 17: overlong titles truncated."""
    html = f"<html><head><title>{'word ' * 1000}</title></head><body></body></html>"
    page = extract(html, PAGE_URL, "text/html")
    assert page.title is not None
    assert len(page.title) <= MAX_TITLE_CHARS
    assert page.title.endswith("…")


def test_og_image_and_canonical_are_made_absolute() -> None:
    """reliability row 17: og:image URLs come back absolute for the caller's guard.

    The first ``property`` value wins over later ones and over ``name`` spellings.
    """
    html = (
        '<html><head><base href="/static/"><meta name="og:image" content="by-name.png">'
        '<meta property="og:image" content="img/cover.png">'
        '<meta property="og:image" content="img/second.png">'
        '<link rel="canonical" href="../article"><meta property="og:image:alt" content="x">'
        "</head></html>"
    )
    page = extract(html, "https://example.com/news/page?id=1", "text/html")
    assert page.image_url == "https://example.com/static/img/cover.png"
    assert page.canonical_url == "https://example.com/article"


def test_non_http_image_urls_are_dropped() -> None:
    html = '<html><head><meta property="og:image" content="javascript:alert(1)"></head></html>'
    assert extract(html, "https://example.com/", "text/html").image_url is None


def test_github_repository_page_shows_name_and_description() -> None:
    html = (FIXTURES / "github-repo.html").read_bytes()
    page = extract(html, "https://github.com/encode/httpx", "text/html; charset=utf-8")
    assert page.title == "encode/httpx"
    assert page.site_name == "GitHub"
    assert page.summary == "A next generation HTTP client for Python. 🦋."


def test_github_repository_without_description_has_no_summary() -> None:
    html = (
        (FIXTURES / "github-repo.html")
        .read_text()
        .replace("A next generation HTTP client for Python. 🦋. ", "")
    )
    page = extract(html, "https://github.com/encode/httpx", "text/html")
    assert (page.title, page.summary, page.summary_is_fallback) == ("encode/httpx", None, False)


def test_arxiv_abstract_page_gives_title_authors_and_abstract() -> None:
    html = (FIXTURES / "arxiv-2103.03206v2.html").read_bytes()
    page = extract(html, "https://arxiv.org/abs/2103.03206v2", "text/html; charset=utf-8")
    assert page.title == "Perceiver: General Perception with Iterative Attention"
    assert page.author is not None
    assert page.author.startswith("Andrew Jaegle, Felix Gimeno")
    assert page.summary is not None
    assert page.summary.startswith("Biological systems perceive")
    assert page.published_at == datetime(2021, 3, 4, tzinfo=UTC)
    assert page.site_name == "arXiv.org"
    assert page.image_url == "https://arxiv.org/static/browse/0.3.4/images/arxiv-logo-fb.png"


def test_pdf_title_falls_back_to_the_first_line_and_words_are_counted() -> None:
    """The spec's PDF metadata has an empty /Title."""
    page = extract_pdf((FIXTURES / "shared-mime-info-spec.pdf").read_bytes(), "http://x/s.pdf")
    assert page.title == "Shared MIME-info Database"
    assert page.word_count is not None
    assert 4000 < page.word_count < 7000


def test_broken_pdf_is_a_clear_failure() -> None:
    with pytest.raises(ExtractionFailed, match="unreadable PDF"):
        extract_pdf(b"%PDF-1.4\n" + b"garbage" * 100, "http://x/s.pdf")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000)), st.sampled_from(CONTENT_TYPES))
def test_extract_never_crashes_on_arbitrary_bodies(
    body: bytes | str, content_type: str | None
) -> None:
    """Whatever arrives: metadata or a clear ExtractionFailed, nothing else."""
    with contextlib.suppress(ExtractionFailed):
        page = extract(body, PAGE_URL, content_type)
        assert page.title is None or len(page.title) <= MAX_TITLE_CHARS


def test_fixture_pages_are_the_copied_ones() -> None:
    """Guards the parametrised set: every copied page has its expected metadata."""
    assert len(PAGES) >= 10
    assert all((READABILITY / name / "expected-metadata.json").is_file() for name in PAGES)
    assert Path(READABILITY / "LICENSE.md").is_file()
