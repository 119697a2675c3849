"""The no-model summary on real article pages (Mozilla Readability's test pages, Apache-2.0)."""

from __future__ import annotations

import re

import pytest
import trafilatura

from bot.assist.extractive import (
    extractive_summary,
    is_boilerplate,
    representative_sentences,
    split_sentences,
)
from tests.assist.pages import PAGES, article, page_text, squeeze

# Real-site articles in European languages (the shared folder also holds synthetic unit pages
# and Chinese text, which word-frequency scoring is not meant for).
ARTICLES = [
    "aclu",
    "ars-1",
    "bbc-1",
    "heise",
    "lemonde-1",
    "medicalnewstoday",
    "mozilla-1",
    "nytimes-1",
    "theverge",
    "wikipedia-3",
]
SOURCES = ["ars-1", "heise", "lemonde-1", "medicalnewstoday", "mozilla-1"]
BOILERPLATE = [
    "We use cookies to improve your experience on our website and for marketing purposes.",
    "Subscribe to our newsletter to get the best stories delivered to your inbox every week!",
    "Home News Sport Business Technology Science Health Entertainment",
    "BREAKING NEWS: THIS IS THE MOST IMPORTANT STORY OF THE YEAR, READ IT NOW.",
    "Share this article on Twitter, Facebook and LinkedIn with your friends and colleagues.",
    "Read the full report at https://example.com/report for all the details you need.",
]


@pytest.mark.parametrize("name", ARTICLES)
def test_summary_sentences_come_from_the_article(name: str) -> None:
    text = article(name)
    chosen = representative_sentences(text)
    assert 2 <= len(chosen) <= 3
    assert len(" ".join(chosen)) <= 600 or len(chosen) == 1
    for sentence in chosen:
        assert squeeze(sentence) in squeeze(text)
        assert not is_boilerplate(sentence)
        assert re.search(r"[.!?…][\"'”’»)\]]*$", sentence), "whole sentences only"


@pytest.mark.parametrize("name", SOURCES)
def test_summary_of_extracted_main_text_stays_in_the_article_body(name: str) -> None:
    """The real pipeline: trafilatura's main text of the page as served, then the summary."""
    main_text = trafilatura.extract((PAGES / name / "source.html").read_text(encoding="utf-8"))
    summary = extractive_summary(main_text)
    assert summary is not None
    body = squeeze(article(name))
    for sentence in split_sentences(summary):
        assert squeeze(sentence) in body


@pytest.mark.parametrize("name", ["ars-1", "lemonde-1", "mozilla-1", "medicalnewstoday"])
def test_whole_page_text_with_navigation_still_yields_article_sentences(name: str) -> None:
    """No extractor at all: menus, footers and teasers around the article are passed over."""
    full_page = page_text((PAGES / name / "source.html").read_text(encoding="utf-8"))
    body = squeeze(article(name))
    chosen = representative_sentences(full_page)
    assert chosen
    assert all(squeeze(sentence) in body for sentence in chosen)


@pytest.mark.parametrize("name", ARTICLES)
def test_boilerplate_between_paragraphs_is_never_chosen(name: str) -> None:
    """Repeated page furniture would dominate a word-frequency score if it were a candidate."""
    paragraphs = article(name).splitlines()
    noisy = "\n".join(
        line for i, paragraph in enumerate(paragraphs) for line in (paragraph, BOILERPLATE[i % 6])
    )
    chosen = representative_sentences(noisy)
    assert not set(chosen) & set(BOILERPLATE)
    assert chosen == representative_sentences("\n".join(paragraphs))


def test_summaries_are_chosen_not_the_opening_of_the_text() -> None:
    """Representative sentences, not the first 300 characters: most pages pick a later one."""
    later = 0
    for name in ARTICLES:
        prose = [s for s in split_sentences(article(name)) if not is_boilerplate(s)]
        chosen = representative_sentences(article(name))
        later += chosen != prose[: len(chosen)]
    assert later >= len(ARTICLES) // 2


def test_text_without_prose_has_no_summary() -> None:
    assert extractive_summary(None) is None
    assert extractive_summary("") is None
    assert extractive_summary("Home\nAbout us\nContact\nLOG IN") is None
    assert extractive_summary("\n".join(BOILERPLATE)) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Smith met J. R. R. Tolkien in 1937. They discussed e.g. dragons. Then it rained.",
            [
                "Dr. Smith met J. R. R. Tolkien in 1937.",
                "They discussed e.g. dragons.",
                "Then it rained.",
            ],
        ),
        (
            '"Is it over?" she asked. It was not over. version 2.5 shipped.',
            ['"Is it over?" she asked.', "It was not over. version 2.5 shipped."],
        ),
        (
            "First line without stop\n- Second line is a list item.",
            ["First line without stop", "Second line is a list item."],
        ),
        ("東京は晴れです。大阪は雨です。", ["東京は晴れです。", "大阪は雨です。"]),
        (
            "The result[12] was clear. Nobody[citation needed] disagreed.",
            ["The result was clear.", "Nobody disagreed."],
        ),
    ],
)
def test_sentence_splitting(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("sentence", "boilerplate"),
    [
        ("The committee approved the budget after a long debate on Tuesday.", False),
        ("Too short to matter.", True),
        ("A heading that has no final punctuation at all here", True),
        ("ALL OF THIS IS SHOUTED AT THE READER FOR NO GOOD REASON.", True),
        ("Please accept our cookie policy before you continue reading the article.", True),
        ("Sign up for free and join thousands of readers who already love us.", True),
        ("See www.example.com for the whole story and much more about it.", True),
    ],
)
def test_boilerplate_detection(sentence: str, boilerplate: bool) -> None:
    assert is_boilerplate(sentence) is boilerplate
