"""Renderers: pure functions from a ``CompiledIssue`` to one destination's format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.digest.model import CompiledIssue
from bot.digest.render._common import clean, issue_heading, section_views
from bot.digest.render.discord_embeds import render_discord
from bot.digest.render.html_email import render_html_email, render_html_page
from bot.digest.render.jsonout import render_json
from bot.digest.render.markdown import render_markdown
from bot.digest.render.slack import render_slack
from bot.digest.render.text import render_text

__all__ = [
    "RENDERERS",
    "clean",
    "issue_heading",
    "render",
    "render_discord",
    "render_html_email",
    "render_html_page",
    "render_json",
    "render_markdown",
    "render_slack",
    "render_text",
    "section_views",
]

# Slack and Discord give a list of message payloads to post in order; the others give one document.
RENDERERS: dict[str, Callable[[CompiledIssue], Any]] = {
    "slack": render_slack,
    "discord": render_discord,
    "markdown": render_markdown,
    "html": render_html_email,
    "text": render_text,
    "json": render_json,
}


def render(issue: CompiledIssue, fmt: str) -> Any:
    """Render ``issue`` as ``fmt`` (a key of ``RENDERERS``); ValueError for an unknown format."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        known = ", ".join(RENDERERS)
        raise ValueError(f"unknown format {fmt!r}; expected one of {known}") from None
    return renderer(issue)
