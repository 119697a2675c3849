"""HTML for the archive: Jinja2 with autoescaping, and the issue page with archive links added.

Links between pages are relative (``root`` climbs back to the top), so the archive works behind
a reverse proxy that serves it under a sub-path without any setting.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.capture.text import clean_text
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


def app_path(request: Request) -> str:
    """The path within the app: without the ``root_path`` a proxy or uvicorn may have set."""
    return request.url.path.removeprefix(request.scope.get("root_path", "")) or "/"


def render(template: str, **context: Any) -> str:
    """The page, without characters HTML and XML forbid, whatever the database holds."""
    return clean_text(environment().get_template(template).render(**context))


def page(template: str, request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of ours; its links climb back to the archive's root relative to the request."""
    root = relative_root(app_path(request))
    return HTMLResponse(render(template, root=root, **context), status_code)


def issue_page(issue: CompiledIssue) -> str:
    """The published web page of an issue, plus a feed link in its head and an archive bar."""
    html = render_html_page(issue)
    context = {"digest": issue.digest, "number": issue.number}
    head = render("issue_head.html.j2", **context)
    bar = render("issue_bar.html.j2", **context)
    html = html.replace("</head>", head + "</head>", 1)
    return _BODY_OPEN.sub(lambda opening: opening.group(0) + bar, html, count=1)
