"""Every renderer's exact output for the fixed issues, against reviewed golden files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.digest.model import CompiledIssue
from bot.digest.render import RENDERERS, render_html_page
from bot.platforms import every

from .golden import assert_matches_golden
from .issues import edge_case_issue, realistic_issue

EXTENSIONS = {
    "slack": "json",
    "discord": "json",
    "matrix": "json",
    "markdown": "md",
    "html": "html",
    "html-page": "html",
    "text": "txt",
    "json": "json",
}
FORMATS: dict[str, Callable[[CompiledIssue], Any]] = {
    **{platform.name: platform.render for platform in every()},
    **RENDERERS,
    "html-page": render_html_page,
}
ISSUES: dict[str, Callable[[], CompiledIssue]] = {
    "edge": edge_case_issue,
    "edge-minutes": lambda: edge_case_issue(read_more="minutes"),
    "realistic": realistic_issue,
}
CASES = [(issue, fmt) for issue in ("edge", "realistic") for fmt in FORMATS] + [
    ("edge-minutes", fmt) for fmt in ("markdown", "slack", "discord")
]


@pytest.mark.parametrize(("issue_name", "fmt"), CASES)
def test_output_matches_golden_file(issue_name: str, fmt: str) -> None:
    output = FORMATS[fmt](ISSUES[issue_name]())
    assert_matches_golden(f"{issue_name}.{fmt}.{EXTENSIONS[fmt]}", output)


def test_rendering_is_pure() -> None:
    """Same issue in, same output out: no clock, randomness or hidden state in any renderer."""
    for renderer in FORMATS.values():
        assert renderer(edge_case_issue()) == renderer(edge_case_issue())
