"""HTML: a self-contained responsive e-mail and the web-archive page, from one Jinja2 template.

Autoescaping is on, so a ``<script>`` in a title is text; every href/src went through ``safe_url``.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from bot.digest.model import CompiledIssue
from bot.digest.render._common import (
    FEATURED_NOTE,
    READ_MORE_ICON,
    WEB_LINK_LABEL,
    WHY_ICON,
    WHY_TEXT,
    clean,
    fit,
    issue_heading,
    period_label,
    safe_url,
    section_views,
)
from bot.text import clean_text

PREHEADER_LIMIT = 140


@cache
def template() -> Template:
    environment = Environment(
        loader=PackageLoader("bot.digest", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("issue.html.j2")


def preheader(issue: CompiledIssue) -> str:
    """The inbox preview line: the intro, else the first titles."""
    titles = ", ".join(clean(item.title) for item in issue.items[:5])
    return fit(clean(issue.intro) or titles or period_label(issue), PREHEADER_LIMIT)


def render(issue: CompiledIssue, *, page: bool) -> str:
    """The document, without characters HTML forbids whatever the stored issue holds."""
    return clean_text(
        template().render(
            page=page,
            heading=issue_heading(issue),
            period=period_label(issue),
            preheader=preheader(issue),
            intro=clean(issue.intro),
            outro=clean(issue.outro),
            sections=section_views(issue),
            public_url=safe_url(issue.public_url),
            digest=clean(issue.digest),
            number=issue.number,
            empty_note=issue.empty_note,
            featured_note=FEATURED_NOTE,
            why_icon=WHY_ICON,
            why_text=WHY_TEXT,
            read_more_icon=READ_MORE_ICON,
            web_link_label=WEB_LINK_LABEL,
        )
    )


def render_html_email(issue: CompiledIssue) -> str:
    """The e-mail body: inline styles, table layout, at most 640 px wide."""
    return render(issue, page=False)


def render_html_page(issue: CompiledIssue) -> str:
    """The web-archive page: the e-mail's content with light and dark colour schemes."""
    return render(issue, page=True)
