"""Compiled issues as JSON, so a resumed publication renders exactly the same messages."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.digest.model import CompiledIssue, IssueItem, IssueSection


def dumps(issue: CompiledIssue) -> str:
    return json.dumps(asdict(issue), default=_encode, ensure_ascii=False, sort_keys=True)


def _encode(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


def loads(text: str) -> CompiledIssue:
    data = json.loads(text)
    sections = tuple(
        IssueSection(
            name=section["name"],
            items=tuple(IssueItem(**item) for item in section["items"]),
        )
        for section in data.pop("sections")
    )
    data["period_start"] = datetime.fromisoformat(data["period_start"])
    data["period_end"] = datetime.fromisoformat(data["period_end"])
    data["tags"] = tuple(data.get("tags", ()))
    return CompiledIssue(sections=sections, **data)
