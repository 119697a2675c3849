"""JSON with a stable, versioned schema (documented in docs/digest-json-schema.md).

Text is given as stored (raw, unescaped): a consumer escapes it for wherever it shows it.
"""

from __future__ import annotations

import json
from typing import Any

from bot.digest.model import CompiledIssue, IssueItem

SCHEMA_VERSION = 1


def item_json(item: IssueItem) -> dict[str, Any]:
    """The item's keys; ``archived_url`` only when the item has a copy (an optional key)."""
    archived = {"archived_url": item.archived_url} if item.archived_url else {}
    return {
        "number": item.number,
        "title": item.title,
        "url": item.url,
        "summary": item.summary,
        "why": item.why,
        "image_url": item.image_url,
        "site_name": item.site_name,
        "word_count": item.word_count,
        "reading_minutes": item.reading_minutes,
        "shared_by": item.shared_by,
        "featured": item.featured,
        "votes": item.votes,
        "revisited": item.revisited,
        **archived,
    }


def issue_json(issue: CompiledIssue) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "digest": issue.digest,
        "number": issue.number,
        "title": issue.title,
        "period": {"start": issue.period_start.isoformat(), "end": issue.period_end.isoformat()},
        "intro": issue.intro,
        "outro": issue.outro,
        "public_url": issue.public_url,
        "tags": list(issue.tags),
        "sections": [
            {"name": section.name, "items": [item_json(item) for item in section.items]}
            for section in issue.sections
            if section.items
        ],
    }


def render_json(issue: CompiledIssue) -> str:
    """Pretty-printed UTF-8 JSON, keys in schema order, ending with a newline."""
    return json.dumps(issue_json(issue), ensure_ascii=False, indent=2) + "\n"
