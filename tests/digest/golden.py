"""Golden-file comparison: exact match, rewritten only when LINKLETTER_UPDATE_GOLDEN=1."""

from __future__ import annotations

import json
import os
from typing import Any

from .issues import FIXTURES

GOLDEN = FIXTURES / "golden"
UPDATE = os.environ.get("LINKLETTER_UPDATE_GOLDEN") == "1"


def as_text(output: Any) -> str:
    """Documents as they are; payload lists as pretty JSON, so a diff shows which field changed."""
    if isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False, indent=2) + "\n"


def assert_matches_golden(name: str, output: Any) -> None:
    path = GOLDEN / name
    text = as_text(output)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with LINKLETTER_UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file (LINKLETTER_UPDATE_GOLDEN=1)"
