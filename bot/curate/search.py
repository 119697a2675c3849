"""What a search answers, the same in chat, the CLI and its JSON (issue 21)."""

from __future__ import annotations

from typing import Any

from storage.search import SearchHit, search_terms

NO_WORDS = "Search for some words: `search postgres indexes` (every word must match)."


def usable(words: str) -> bool:
    """Whether ``words`` has anything to search for (letters or digits)."""
    return bool(search_terms(words))


def published_label(hit: SearchHit) -> str | None:
    if hit.issue_number is None:
        return None
    date = f" ({hit.issue_date.date().isoformat()})" if hit.issue_date else ""
    return f"issue #{hit.issue_number}{date}"


def hit_record(hit: SearchHit) -> dict[str, Any]:
    """The documented ``items search --json`` shape."""
    return {
        "id": hit.item_id,
        "digest": hit.digest,
        "title": hit.title,
        "url": hit.url,
        "status": hit.status,
        "why": hit.why,
        "site_name": hit.site,
        "published_in": None
        if hit.issue_number is None
        else {
            "issue": hit.issue_number,
            "date": hit.issue_date.date().isoformat() if hit.issue_date else None,
        },
    }


def hit_line(hit: SearchHit) -> str:
    """'12. [published] Title (site) · in issue #3 (2026-11-23)' (raw text)."""
    site = f" ({hit.site})" if hit.site else ""
    issue = published_label(hit)
    return f"{hit.item_id}. [{hit.status}] {hit.title}{site}" + (f" · in {issue}" if issue else "")


def nothing_found(words: str) -> str:
    return f"Nothing matches {' '.join(search_terms(words))!r}."
