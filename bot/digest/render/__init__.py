"""Renderers: pure functions from a ``CompiledIssue`` to one destination's format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import platforms
from bot.digest.model import CompiledIssue
from bot.digest.render._common import clean, issue_heading, section_views
from bot.digest.render.html_email import render_html_email, render_html_page
from bot.digest.render.jsonout import render_json
from bot.digest.render.markdown import render_markdown
from bot.digest.render.text import render_text

__all__ = [
    "RENDERERS",
    "clean",
    "formats",
    "issue_heading",
    "render",
    "render_html_email",
    "render_html_page",
    "render_json",
    "render_markdown",
    "render_text",
    "section_views",
]

# Each gives one document; a chat platform renders its own payloads (``Platform.render``).
RENDERERS: dict[str, Callable[[CompiledIssue], Any]] = {
    "markdown": render_markdown,
    "html": render_html_email,
    "text": render_text,
    "json": render_json,
}


def formats() -> tuple[str, ...]:
    """Every format ``render`` knows: each chat platform's name, then ``RENDERERS``."""
    return (*platforms.names(), *RENDERERS)


def render(issue: CompiledIssue, fmt: str) -> Any:
    """Render ``issue`` as ``fmt``: a key of ``RENDERERS``, or a chat platform's name for its
    native payloads. ValueError for an unknown format."""
    if fmt in RENDERERS:
        return RENDERERS[fmt](issue)
    if fmt in platforms.names():
        return platforms.platform(fmt).render(issue)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(formats())}")
