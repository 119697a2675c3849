"""Split a share's text into the link's *why this matters* and the rest (the note).

A why starts with "why this matters", "why:" or 🏛️, in any case, wrapped or not in Slack
``*bold*`` / Markdown ``**bold**`` / ``_italics_``, with or without a colon or a dash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DECOR = r"[\s*_~>]*"
_MARKER = re.compile(
    rf"(?im)^{_DECOR}(?:(?:🏛️?|:classical_building:){_DECOR}"
    rf"(?:why\s+this\s+matters{_DECOR}[:\-–—]?)?"
    rf"|why\s+this\s+matters{_DECOR}[:\-–—]?|why{_DECOR}:)"
    rf"{_DECOR}(?:[:\-–—]{_DECOR})?",
)


@dataclass(frozen=True, slots=True)
class SplitText:
    why: str | None
    note: str


def split_why(text: str) -> SplitText:
    """The why (text after the first marker line start, to the end) and the note before it."""
    match = _MARKER.search(text)
    if match is None:
        return SplitText(why=None, note=text.strip())
    why = text[match.end() :].strip().strip("*_~").strip()
    return SplitText(why=why or None, note=text[: match.start()].strip())


def starts_with_why(text: str) -> bool:
    """True when a reply *is* a why (the marker opens the message)."""
    match = _MARKER.search(text)
    return match is not None and not text[: match.start()].strip()
