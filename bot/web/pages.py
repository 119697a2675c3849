"""HTML for the archive: Jinja2 with autoescaping, and the issue page with archive links added.

Links between pages are relative (``root`` climbs back to the top), so the archive works behind
a reverse proxy that serves it under a sub-path without any setting.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse

from bot.digest.model import CompiledIssue
from bot.digest.render import render_html_page

_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def relative_root(path: str) -> str:
    """``./`` for ``/`` and ``/stats``, ``../../`` for ``/d/weekly/`` and ``/d/weekly/3``."""
    return "../" * (path.count("/") - 1) or "./"


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def page(template: str, path: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of ours (it links the stylesheet relative to ``path``)."""
    return HTMLResponse(render(template, root=relative_root(path), **context), status_code)


def issue_page(issue: CompiledIssue) -> str:
    """The published web page of an issue, plus a feed link in its head and an archive bar."""
    html = render_html_page(issue)
    context = {"digest": issue.digest, "number": issue.number}
    head = render("issue_head.html.j2", **context)
    bar = render("issue_bar.html.j2", **context)
    html = html.replace("</head>", head + "</head>", 1)
    return _BODY_OPEN.sub(lambda opening: opening.group(0) + bar, html, count=1)
