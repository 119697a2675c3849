"""Canonical URLs: one key per article; properties hold for any input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.provisional import urls

from bot.capture.canonical import NotHttpUrl, canonical_url, clean_url


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/post?utm_source=x&utm_medium=y", "https://example.com/post"),
        ("https://example.com/post?fbclid=1&gclid=2&mc_cid=3&ref=hn", "https://example.com/post"),
        ("HTTP://WWW.Example.COM:80/post#comments", "https://example.com/post"),
        ("https://example.com:443/post/", "https://example.com/post"),
        ("http://example.com:443/post", "https://example.com/post"),  # found by hypothesis
        ("https://example.com/p?b=2&a=1", "https://example.com/p?a=1&b=2"),
    ],
)
def test_same_article_same_key(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/p?id=1", "https://example.com/p?id=2"),  # meaningful query kept
        ("https://example.com:8443/p", "https://example.com/p"),  # non-default port kept
        ("https://example.com/a", "https://example.com/b"),
    ],
)
def test_different_articles_different_keys(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


@pytest.mark.parametrize(
    "bad", ["mailto:x@y.com", "ftp://x.com/f", "javascript:alert(1)", "https://", "//x.com"]
)
def test_refuses_non_http(bad: str) -> None:
    with pytest.raises(NotHttpUrl):
        canonical_url(bad)


@given(st.text())
def test_any_text_is_http_key_or_refused(text: str) -> None:
    try:
        key = canonical_url(text)
    except NotHttpUrl:
        return
    assert key.startswith("https://")
    assert canonical_url(key) == key


@given(urls())
def test_real_urls_are_idempotent(url: str) -> None:
    key = canonical_url(url)
    assert key.startswith("https://")
    assert canonical_url(key) == key


@pytest.mark.parametrize(
    ("shared", "shown"),
    [
        ("http://site.test/a?utm_source=x&id=3#part", "http://site.test/a?id=3#part"),
        ("https://site.test/a?fbclid=1", "https://site.test/a"),
        ("https://site.test/a?q=1", "https://site.test/a?q=1"),
    ],
)
def test_reader_links_lose_only_tracking(shared: str, shown: str) -> None:
    assert clean_url(shared) == shown
