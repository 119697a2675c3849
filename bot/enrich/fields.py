"""Text helpers of the extractors that need no HTML parser: the bot's own process uses them
(bot.enrich.special) while the parsers (selectolax, trafilatura) load only in the extraction
workers (bot.enrich.budget)."""

from __future__ import annotations

import html

MAX_TITLE_CHARS = 300


def clean_text(value: str | None) -> str | None:
    """Unescape (pages often double-escape meta content) and collapse whitespace."""
    if value is None:
        return None
    return " ".join(html.unescape(value).split()) or None


def shorten(text: str | None, limit: int) -> str | None:
    """``text`` cut at a word boundary to at most ``limit`` characters, ending with "…"."""
    if text is None or len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"
