"""Turn a fetched HTML page into :class:`PageMetadata`.

Two passes, measured in ``bench/enrich.py``: selectolax for the declared metadata (about 1 ms a
page) and trafilatura for the main text (word count, fallback summary; tens of ms a page). Both are
CPU work: call :func:`extract` through ``asyncio.to_thread``.

trafilatura (with lxml, justext, courlan, htmldate) and charset_normalizer are imported on
first use: ~10 MB of RSS that an idle ``linkletter run`` with nothing to enrich does not need.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from w3lib.encoding import html_to_unicode

from bot.enrich.fields import MAX_TITLE_CHARS, shorten
from bot.enrich.meta import MetaFields, jsonld_names, jsonld_text, jsonld_url, read_meta
from bot.enrich.model import ExtractionFailed, PageMetadata

MAX_SUMMARY_CHARS = 500
MAX_MAIN_TEXT_CHARS = 20_000  # kept for summaries and keyword rules
MAX_MAIN_TEXT_INPUT = 2_000_000  # trafilatura takes ~2 s per MB: longer documents are cut
MAX_NESTING = 2_000  # lexbor slows down quadratically on deep block nesting
_DETECTION_SAMPLE = 65_536
_DEFAULT_ENCODING = "cp1252"
_BINARY_SAMPLE = 8_192
_FALLBACK_MIN_WORDS = 12

# Tags that do not deepen the tree: void elements and those whose end tag may be omitted.
# fmt: off
_FLAT_TAGS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "basefont", "frame",  # void
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head", "body",  # optional end tag
})
# fmt: on
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_TITLE_SEPARATOR = re.compile(r" [|\-–—\\/>»·] ")
_MIN_TITLE_WORDS = 5
_GITHUB_REPO_PATH = re.compile(r"^/([\w.-]+)/([\w.-]+)/?$")
_GITHUB_BOILERPLATE = re.compile(
    r"\s*Contribute to \S+ development by creating an account on GitHub\.?$"
)


def extract(html: bytes | str, url: str, content_type: str | None) -> PageMetadata:
    """Metadata of the HTML page ``html`` fetched from ``url`` (the final URL after redirects).

    Raises :class:`ExtractionFailed` for bodies that are not usable HTML.
    """
    document = html if isinstance(html, str) else decode_html(html, content_type)
    _refuse_unusable(document)
    found = read_meta(document)
    blocks = main_blocks(document, url)
    main_text = "\n".join(text for _tag, text in blocks) or None
    base = urljoin(url, found.base_href) if found.base_href else url
    summary = _declared_summary(found)
    fallback = None if summary else _first_paragraph(blocks)
    metadata = PageMetadata(
        final_url=url,
        title=shorten(_title(found), MAX_TITLE_CHARS),
        summary=shorten(summary or fallback, MAX_SUMMARY_CHARS),
        summary_is_fallback=fallback is not None,
        image_url=_absolute_http_url(base, _image(found)),
        site_name=_site_name(found),
        author=_author(found),
        published_at=_published(found),
        lang=found.lang or found.first("content-language", "og:locale"),
        word_count=len(main_text.split()) if main_text else None,
        canonical_url=_absolute_http_url(base, found.canonical or found.first("og:url")),
        main_text=main_text[:MAX_MAIN_TEXT_CHARS] if main_text else None,
    )
    return _github_repository(metadata)


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode with the HTTP charset, then the BOM/meta charset, then detection (w3lib's order)."""
    _encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect_encoding)
    return text


def _detect_encoding(body: bytes) -> str | None:
    """charset_normalizer's best guess; a tie goes to windows-1252, the WHATWG default."""
    import charset_normalizer  # on first use: see the module docstring

    matches = list(charset_normalizer.from_bytes(body[:_DETECTION_SAMPLE]))
    if not matches:
        return None
    best = matches[0]
    tied = (m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence))
    if any(_DEFAULT_ENCODING in m.could_be_from_charset for m in tied):
        return _DEFAULT_ENCODING
    return best.encoding


def _refuse_unusable(document: str) -> None:
    sample = document[:_BINARY_SAMPLE]
    odd = sum(1 for char in sample if _is_binary_char(char))
    if sample and odd > len(sample) // 100:
        raise ExtractionFailed("body is binary, not text")
    if _nesting_exceeds(document, MAX_NESTING):
        raise ExtractionFailed(f"markup nested deeper than {MAX_NESTING} elements")


def _is_binary_char(char: str) -> bool:
    return char == "\ufffd" or (unicodedata.category(char) == "Cc" and char not in "\t\n\r\f")


def _nesting_exceeds(document: str, limit: int) -> bool:
    """Cheap linear estimate of the element depth, so the parser never sees a pathological tree.

    An end tag closes the innermost open element of its name and those inside it, as an HTML
    parser does; one with no open element of its name (``<div></x>``) closes nothing.

    A page with no more than ``limit`` start tags cannot be deeper than ``limit``: every ``<``
    not followed by ``/`` bounds their number, and counting them (in C) costs a few percent of
    the scan, which 116 of the 130 Readability test pages then skip
    (``python -m bench.extraction``).
    """
    if document.count("<") - document.count("</") <= limit:
        return False
    stack: list[str] = []
    open_count: Counter[str] = Counter()
    for match in _TAG.finditer(document):
        name = match[2].lower()
        if name in _FLAT_TAGS:
            continue
        if not match[1]:
            stack.append(name)
            open_count[name] += 1
            if len(stack) > limit:
                return True
            continue
        while open_count[name]:
            closed = stack.pop()
            open_count[closed] -= 1
            if closed == name:
                break
    return False


def main_blocks(document: str, url: str) -> list[tuple[str, str]]:
    """The main content as (tag, whitespace-normalised text) blocks: head, p, list, quote..."""
    import trafilatura  # on first use: see the module docstring

    extracted = trafilatura.bare_extraction(
        document[:MAX_MAIN_TEXT_INPUT],
        url=url,
        fast=True,
        include_comments=False,
        include_tables=False,
    )
    body = getattr(extracted, "body", None)
    if body is None:
        return []
    blocks = [(str(element.tag), " ".join("".join(element.itertext()).split())) for element in body]
    return [(tag, text) for tag, text in blocks if text]


def _title(found: MetaFields) -> str | None:
    return (
        _jsonld_title(found)
        or found.first(
            "dc:title",
            "dcterm:title",
            "og:title",
            "citation_title",
            "twitter:title",
            "parsely-title",
        )
        or (clean_title_tag(found.title_tag) if found.title_tag else None)
    )


def _jsonld_title(found: MetaFields) -> str | None:
    """``headline`` or ``name``; when both differ, the one the <title> tag repeats."""
    headline = jsonld_text(found.article, "headline")
    name = jsonld_text(found.article, "name")
    title_tag = found.title_tag or ""
    if headline and name and headline not in title_tag and name in title_tag:
        return name
    return headline or name


def clean_title_tag(title: str) -> str:
    """Drop a site-name part from a <title> ("Article – Site"), unless too little would remain.

    Readability's heuristic, simplified: keep the part before the last separator if it has at
    least five words.
    """
    separators = list(_TITLE_SEPARATOR.finditer(title))
    if not separators:
        return title
    head = title[: separators[-1].start()]
    return head if len(head.split()) >= _MIN_TITLE_WORDS else title


def _site_name(found: MetaFields) -> str | None:
    publishers = jsonld_names(found.article.get("publisher"))
    return publishers[0] if publishers else found.first("og:site_name")


def _declared_summary(found: MetaFields) -> str | None:
    return jsonld_text(found.article, "description") or found.first(
        "citation_abstract",
        "dc:description",
        "dcterm:description",
        "og:description",
        "description",
        "twitter:description",
    )


def _author(found: MetaFields) -> str | None:
    names = jsonld_names(found.article.get("author"))
    if not names:
        names = [_first_last(name) for name in found.all("citation_author")]
    if not names:
        declared = found.first("dc:creator", "dcterm:creator", "author", "parsely-author")
        article_author = found.first("article:author")
        if declared is None and article_author and not article_author.startswith("http"):
            declared = article_author
        names = [declared] if declared else []
    return ", ".join(dict.fromkeys(names)) or None


def _first_last(name: str) -> str:
    """Highwire ``citation_author`` is "Last, First": show it as "First Last"."""
    last, comma, first = name.partition(",")
    return f"{first.strip()} {last.strip()}" if comma and first.strip() else name


def _published(found: MetaFields) -> datetime | None:
    candidates = [
        jsonld_text(found.article, "datePublished"),
        found.first("article:published_time", "parsely-pub-date", "citation_publication_date"),
        found.first("citation_date", "dc:date", "dcterm:date"),
    ]
    for value in candidates:
        if value and (parsed := parse_datetime(value)) is not None:
            return parsed
    return None


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 (and Highwire's 2021/03/04); naive times are taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("/", "-"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _image(found: MetaFields) -> str | None:
    return found.first(
        "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"
    ) or jsonld_url(found.article.get("image"))


def _absolute_http_url(base: str, value: str | None) -> str | None:
    if not value:
        return None
    absolute = urljoin(base, value)
    return absolute if urlsplit(absolute).scheme in {"http", "https"} else None


def _first_paragraph(blocks: list[tuple[str, str]]) -> str | None:
    """The first paragraph long enough to say something (else the first one) of the main text."""
    paragraphs = [text for tag, text in blocks if tag == "p"]
    for paragraph in paragraphs:
        if len(paragraph.split()) >= _FALLBACK_MIN_WORDS:
            return paragraph
    return paragraphs[0] if paragraphs else None


def _github_repository(metadata: PageMetadata) -> PageMetadata:
    """GitHub repository pages: "owner/repo" as title, the repository description as summary."""
    parts = urlsplit(metadata.final_url)
    match = _GITHUB_REPO_PATH.match(parts.path)
    if parts.hostname not in {"github.com", "www.github.com"} or match is None:
        return metadata
    summary = None
    if metadata.summary and not metadata.summary_is_fallback:
        summary = _GITHUB_BOILERPLATE.sub("", metadata.summary) or None
    return replace(
        metadata,
        title=f"{match[1]}/{match[2]}",
        summary=summary,
        summary_is_fallback=False,
        site_name="GitHub",
    )
