"""HTML: a self-contained responsive e-mail and the web-archive page, from one Jinja2 template.

Autoescaping is on, so a ``<script>`` in a title is text; every href/src went through ``safe_url``.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from bot.capture.text import clean_text
from bot.digest.model import CompiledIssue
from bot.digest.render._common import (
    ARCHIVED_LABEL,
    BYLINE_PIECE_LIMIT,
    EMAIL_IMAGES,
    FEATURED_NOTE,
    READ_MORE_ICON,
    REVISITED_NOTE,
    SUMMARY_LIMIT,
    TITLE_LIMIT,
    WEB_LINK_LABEL,
    WHY_ICON,
    WHY_LIMIT,
    WHY_TEXT,
    ItemView,
    SectionView,
    clean,
    fit,
    issue_heading,
    period_label,
    safe_url,
    section_views,
    shown_image,
)

PREHEADER_LIMIT = 140
# Gmail clips a message whose HTML passes 102 KB (and hides the rest behind a link); this leaves
# room for the headers and transfer encoding some senders count in.
EMAIL_SIZE_LIMIT = 100_000
WHOLE_ISSUE_LABEL = "Read the whole issue on the web"
TEXT_LIMIT = 3_000  # the intro and outro, as long as a chat section


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


def email_item(item: ItemView) -> ItemView:
    """The item capped as the chat renderers cap it, with an image e-mail clients display."""
    return replace(
        item,
        title=fit(item.title, TITLE_LIMIT),
        summary=fit(item.summary, SUMMARY_LIMIT),
        why=fit(item.why, WHY_LIMIT),
        byline=tuple(fit(piece, BYLINE_PIECE_LIMIT) for piece in item.byline),
        image_url=shown_image(item.image_url, EMAIL_IMAGES),
    )


def email_sections(views: list[SectionView], keep: int) -> list[SectionView]:
    """The first ``keep`` items of ``views``, in their sections."""
    sections = []
    for section in views:
        items = section.items[:keep]
        keep -= len(items)
        if items:
            sections.append(replace(section, items=items))
    return sections


def render(issue: CompiledIssue, sections: list[SectionView], *, page: bool, omitted: int) -> str:
    """The document, without characters HTML forbids whatever the stored issue holds."""
    return clean_text(
        template().render(
            page=page,
            heading=issue_heading(issue),
            period=period_label(issue),
            preheader=preheader(issue),
            intro=fit(clean(issue.intro), TEXT_LIMIT) if not page else clean(issue.intro),
            outro=fit(clean(issue.outro), TEXT_LIMIT) if not page else clean(issue.outro),
            sections=sections,
            omitted=omitted,
            public_url=safe_url(issue.public_url),
            digest=clean(issue.digest),
            number=issue.number,
            empty_note=issue.empty_note,
            featured_note=FEATURED_NOTE,
            revisited_note=REVISITED_NOTE,
            why_icon=WHY_ICON,
            why_text=WHY_TEXT,
            read_more_icon=READ_MORE_ICON,
            web_link_label=WEB_LINK_LABEL,
            archived_label=ARCHIVED_LABEL,
            whole_issue_label=WHOLE_ISSUE_LABEL,
        )
    )


def email_size(html: str) -> int:
    return len(html.encode("utf-8"))


def render_html_email(issue: CompiledIssue) -> str:
    """The e-mail body: inline styles, table layout, at most 640 px wide, under Gmail's clipping
    limit: items that would pass it are left out, and the e-mail ends with a link to them."""
    views = [
        replace(section, items=tuple(email_item(item) for item in section.items))
        for section in section_views(issue)
    ]
    total = sum(len(section.items) for section in views)
    whole = render(issue, views, page=False, omitted=0)
    if email_size(whole) <= EMAIL_SIZE_LIMIT:
        return whole
    # Keeping ``low`` items fits (taken on trust for none: every part is capped); ``high`` not.
    low, high = 0, total
    best = render(issue, [], page=False, omitted=total)
    while high - low > 1:
        middle = (low + high) // 2
        html = render(issue, email_sections(views, middle), page=False, omitted=total - middle)
        if email_size(html) <= EMAIL_SIZE_LIMIT:
            low, best = middle, html
        else:
            high = middle
    return best


def render_html_page(issue: CompiledIssue) -> str:
    """The web-archive page: the whole issue, every image (browsers show every format)."""
    return render(issue, section_views(issue), page=True, omitted=0)
