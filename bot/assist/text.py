"""Text rules of the assist: which page descriptions are worth keeping, and how model output is
reduced to plain text.

Model output is untrusted, like page content: it is reduced to plain text here (no HTML, no
Markdown, no chat markup such as ``<!channel>``) and capped in length; renderers still escape
it like every other text, since a plain-text ``@everyone`` is only inert once escaped.
"""

from __future__ import annotations

import html
import re
import unicodedata

from bot.assist.extractive import split_sentences

_THINKING = re.compile(r"<think>.*?(?:</think>|\Z)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
_CHAT_LINK = re.compile(r"<(?:https?|mailto):[^<>|\s]*\|([^<>]*)>", re.IGNORECASE)
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_MARKS = re.compile(r"(\*\*|__|\*|`+|~~)")
_LINE_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*•]\s+|\d{1,2}[.)]\s+)", re.MULTILINE)
_LABEL = re.compile(
    r"^\s*(?:summary|tl;?dr|why(?: it| this)? matters|why|section|answer)\s*[:\-–—]\s*",
    re.IGNORECASE,
)
_QUOTES = "\"'“”‘’«»"

# Marketing-fluff markers for page descriptions (see ``description_is_usable``).
_FLUFF = re.compile(
    r"\b(welcome to|official (?:site|website|home ?page)|world'?s (?:leading|best|#1)|"
    r"(?:industry|market)[- ]leading|leading provider|best[- ]in[- ]class|number one|"
    r"sign up|subscribe|free trial|get started|learn more|discover (?:how|why|the|our)|"
    r"shop (?:now|online)|buy now|unlock|all[- ]in[- ]one|one[- ]stop|cutting[- ]edge|"
    r"innovative solutions?|seamless(?:ly)?|empower(?:s|ing)?|supercharge|"
    r"revolutioni[sz](?:e|es|ing)|next[- ]generation|game[- ]chang(?:er|ing)|best prices?|"
    r"limited time|exclusive offers?|don'?t miss|trusted by|millions of)\b|#1",
    re.IGNORECASE,
)
_EXCLAIMS = re.compile(r"!+")
MIN_DESCRIPTION_WORDS = 8
FLUFF_MARKERS = 2


def comparable(text: str | None) -> str:
    return re.sub(r"\W+", " ", (text or "").casefold()).strip()


def description_is_usable(
    description: str | None, title: str | None = None, site_name: str | None = None
) -> bool:
    """Whether a page's own description is worth showing instead of a generated summary.

    Not usable: missing; shorter than eight words; just the title or the site name again; or
    marketing fluff — two or more stock sales phrases ("welcome to", "industry-leading",
    "sign up", "#1", "seamless", …), each run of exclamation marks counting as one.
    """
    text = comparable(description)
    if len(text.split()) < MIN_DESCRIPTION_WORDS:
        return False
    if text in {comparable(title), comparable(site_name)}:
        return False
    markers = len(_FLUFF.findall(description or "")) + len(_EXCLAIMS.findall(description or ""))
    return markers < FLUFF_MARKERS


def plain_output(text: str, max_chars: int, max_sentences: int | None = None) -> str:
    """Model output as one line of plain text, at most ``max_sentences`` and ``max_chars``."""
    text = _THINKING.sub(" ", text)
    text = _TAG.sub(" ", html.unescape(_TAG.sub(" ", _CHAT_LINK.sub(r"\1", text))))
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _MARKDOWN_MARKS.sub("", _LINE_PREFIX.sub("", text))
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    text = _LABEL.sub("", " ".join(text.split())).strip(_QUOTES + " ")
    if max_sentences is not None:
        text = " ".join(split_sentences(text)[:max_sentences])
    return _cap(text, max_chars)


def _cap(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return f"{cut}…"
