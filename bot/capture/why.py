"""Split a share's text into the link's *why this matters* and the rest (the note).

A why starts with "why this matters", "why:" or 🏛️, in any case, wrapped or not in chat
``*bold*`` / Markdown ``**bold**`` / ``_italics_``, with or without a colon or a dash.
"why this matters" and 🏛️ are distinctive wherever a word starts; a bare "why:" counts only
when it opens a line or follows a link ("https://… why: …"), so "I wonder why: …" is prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DECOR = r"[\s*_~>]*"
_CANDIDATE = re.compile(
    rf"(?i)[*_~]*(?P<kind>(?:🏛️?|:classical_building:){_DECOR}"
    rf"(?:why\s+this\s+matters{_DECOR}[:\-–—]?)?"
    rf"|why\s+this\s+matters{_DECOR}[:\-–—]?"
    rf"|why{_DECOR}:)"
    rf"{_DECOR}(?:[:\-–—]{_DECOR})?",
)
_LINK_END = re.compile(r"(?:https?://\S+|>|\))[\s\-–—:,]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SplitText:
    why: str | None
    note: str


def _accepted(text: str, match: re.Match[str]) -> bool:
    before = text[: match.start()]
    if before and not before[-1].isspace() and before[-1] not in ">)*_~":
        return False  # inside a word
    if (
        not match.group("kind").lower().startswith("why")
        or "matters" in match.group("kind").lower()
    ):
        return True
    line = before.rsplit("\n", 1)[-1]
    return not line.strip(" \t*_~>") or _LINK_END.search(line) is not None


def _marker(text: str) -> re.Match[str] | None:
    return next((m for m in _CANDIDATE.finditer(text) if _accepted(text, m)), None)


def split_why(text: str) -> SplitText:
    """The why (the text after the first marker, to the end) and the note before it."""
    match = _marker(text)
    if match is None:
        return SplitText(why=None, note=text.strip())
    why = text[match.end() :].strip().strip("*_~").strip()
    return SplitText(why=why or None, note=text[: match.start()].strip())


def starts_with_why(text: str) -> bool:
    """True when a reply *is* a why (the marker opens the message)."""
    match = _marker(text)
    return match is not None and not text[: match.start()].strip(" \t\n*_~>")
