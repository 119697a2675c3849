"""The desk's endpoints under ``/desk/``: sign-in, the next issue, the queue, previews and
every editor action (each a POST with a CSRF token, authorised on every request).

Changes go through the core (``CurationService.run``), as chat commands do, and become the same
editor facts (``Decision`` rows with who and when), so chat, CLI and desk show one state.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from bot import platforms
from bot.app.logs import log_event
from bot.config import Config, DigestConfig
from bot.curate.arrange import arrange
from bot.curate.commands import Refused, decide, find_item, known_sections
from bot.curate.service import CurationService
from bot.curate.signin import NOT_AN_EDITOR, DeskSession, SignIn, editable
from bot.deliver.engine import PublishEngine
from bot.digest.compile import issue_item
from bot.digest.model import CompiledIssue, IssueItem, IssueSection
from bot.digest.render import render
from bot.web.desk.board import QueueFilter, next_run, queue
from bot.web.pages import app_path, relative_root
from bot.web.pages import render as render_template
from bot.web.security import DESK_CSP, ISSUE_CSP
from storage.models import Item
from storage.repo import Repo

log = logging.getLogger(__name__)
COOKIE = "linkletter_desk"
VERDICTS = ("approve", "reject", "feature", "unfeature", "draft")
EDITABLE = ("title", "summary", "why", "section", "image")
FIELD_LIMIT = 5000  # characters: a summary is a paragraph, not a page
PRIVATE = {"Cache-Control": "private, no-store"}
POLL_SECONDS = 2.0  # how often an open page's event stream looks for changes
STREAM_CHECKS = 150  # then the stream ends (5 minutes) and the browser reconnects
Handler = Callable[[Request], Awaitable[Response]]
Form = dict[str, str]


class Refusal(Exception):
    """A request the desk answers with a message page instead of doing it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def formats() -> dict[str, str]:
    """Preview formats: the e-mail, every chat platform's (from the registry), Markdown."""
    chats = {chat.name: chat.label for chat in platforms.every()}
    return {"html": "E-mail", **chats, "markdown": "Markdown"}


class DeskViews:
    def __init__(
        self,
        config: Config,
        core: CurationService,
        now: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.core = core
        self.now = now
        self.signin = SignIn(config, core.db, now)
        self.engine = PublishEngine(config, core.db, lambda _digest: {}, now=now)
        public = urlsplit(config.web.public_url or "")
        self.cookie_path = public.path.rstrip("/") + "/desk/" if public.path else "/desk/"
        self.secure = public.scheme == "https"

    def routes(self) -> list[Route]:
        get, post = ["GET"], ["POST"]
        guard = _guarded
        return [
            Route("/", guard(self.index), methods=get),
            Route("/signin", guard(self.signin_page), methods=get),
            Route("/signin", guard(self.signin_post), methods=post),
            Route("/signout", guard(self.signout), methods=post),
            Route("/{digest}/", guard(self.issue), methods=get),
            Route("/{digest}/queue", guard(self.queue), methods=get),
            Route("/{digest}/events", guard(self.events), methods=get),
            Route("/{digest}/preview/{fmt}", guard(self.preview), methods=get),
            Route("/{digest}/publish", guard(self.publish_page), methods=get),
            Route("/{digest}/publish", guard(self.publish), methods=post),
            Route("/{digest}/items/{item:int}", guard(self.item_action), methods=post),
            Route("/{digest}/order", guard(self.order), methods=post),
            Route("/{digest}/words", guard(self.words), methods=post),
        ]

    # --- sign-in ----------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        desk = await self._session(request)
        if desk is None:
            return _page("desk_signin.html.j2", request, 401, token=None)
        digests = editable(self.config, desk.editor)
        if not digests:
            raise Refusal(403, NOT_AN_EDITOR)
        return self._page("desk_index.html.j2", request, desk, digests=digests)

    async def signin_page(self, request: Request) -> Response:
        """A button, not an automatic sign-in: link previews (chat unfurls) fetch the link
        without using it up."""
        token = request.query_params.get("token", "")
        return _page("desk_signin.html.j2", request, 200, token=token)

    async def signin_post(self, request: Request) -> Response:
        form = await _form(request)
        token = form.get("token", "")
        opened = await run_in_threadpool(self.signin.redeem, token)
        if isinstance(opened, str):
            raise Refusal(403, opened)
        log_event(log, "desk_signin", "desk: {editor} signed in", editor=opened.editor.user)
        cookie = await run_in_threadpool(self.signin.cookie, opened)  # the key may be read
        response = RedirectResponse("./", 303, headers=PRIVATE)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=int((opened.expires - self.now()).total_seconds()),
            path=self.cookie_path,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )
        return response

    async def signout(self, request: Request) -> Response:
        desk, _form = await self._posted(request)
        log_event(log, "desk_signout", "desk: {editor} signed out", editor=desk.editor.user)
        response = RedirectResponse("./", 303, headers=PRIVATE)
        response.delete_cookie(COOKIE, path=self.cookie_path, secure=self.secure, httponly=True)
        return response

    # --- pages ------------------------------------------------------------------------------
    async def issue(self, request: Request) -> Response:
        desk, digest = await self._editor_of(request)
        issue = await self.engine.preview(digest)
        return self._page(
            "desk_issue.html.j2",
            request,
            desk,
            events=await self._events_url(request, digest),
            digest=digest,
            issue=issue,
            sections=_layout(digest, issue),
            formats=formats(),
            next_run=next_run(digest, self.now()),
        )

    async def queue(self, request: Request) -> Response:
        desk, digest = await self._editor_of(request)
        try:
            chosen = QueueFilter(request.query_params.get("filter", "all"))
        except ValueError:
            chosen = QueueFilter.all
        cards = await run_in_threadpool(queue, self.core.db, digest, chosen)
        return self._page(
            "desk_queue.html.j2",
            request,
            desk,
            events=await self._events_url(request, digest),
            digest=digest,
            cards=cards,
            chosen=chosen,
            filters=list(QueueFilter),
        )

    async def events(self, request: Request) -> Response:
        """Server-Sent Events: ``changed`` once the digest differs from the version the page
        was drawn from (a ✅ in chat, an edit in another tab), so the page can reload."""
        _desk, digest = await self._editor_of(request)
        since = request.query_params.get("since", "")
        stream = self._changes(request, digest, since)
        headers = {**PRIVATE, "X-Accel-Buffering": "no"}  # nginx: pass each event on at once
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

    async def _changes(
        self, request: Request, digest: DigestConfig, since: str
    ) -> AsyncIterator[str]:
        yield "retry: 5000\n\n"
        for _check in range(STREAM_CHECKS):
            if await request.is_disconnected():
                return
            if await run_in_threadpool(self._version, digest) != since:
                yield "event: changed\ndata: reload\n\n"
                return
            yield ": waiting\n\n"  # a comment: keeps proxies from timing the stream out
            await asyncio.sleep(POLL_SECONDS)

    def _version(self, digest: DigestConfig) -> str:
        with self.core.db.reading() as uow:
            state = uow.desk.version(digest.name)
        return hashlib.sha256(state.encode("utf-8")).hexdigest()[:16]

    async def _events_url(self, request: Request, digest: DigestConfig) -> str:
        version = await run_in_threadpool(self._version, digest)
        return f"{_root(request)}desk/{digest.name}/events?since={version}"

    async def preview(self, request: Request) -> Response:
        """The next issue in one format, from the renderer ``digest render`` uses."""
        desk, digest = await self._editor_of(request)
        fmt = request.path_params["fmt"]
        if fmt not in formats():
            raise HTTPException(404)
        issue = await self.engine.preview(digest)
        output: Any = await run_in_threadpool(render, issue, fmt)
        if fmt == "html":
            return HTMLResponse(output, headers={"Content-Security-Policy": ISSUE_CSP, **PRIVATE})
        text = (
            output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, indent=2)
        )
        return self._page(
            "desk_preview.html.j2",
            request,
            desk,
            digest=digest,
            label=formats()[fmt],
            text=text,
        )

    async def publish_page(self, request: Request) -> Response:
        desk, digest = await self._editor_of(request)
        issue = await self.engine.preview(digest)
        return self._page("desk_publish.html.j2", request, desk, digest=digest, issue=issue)

    # --- changes ----------------------------------------------------------------------------
    async def publish(self, request: Request) -> Response:
        desk, digest, _form = await self._change(request)
        ops = self.core.commands.ops
        if ops is None:
            raise Refusal(409, "Publishing is not running in this process.")
        log_event(
            log,
            "desk_publish",
            "desk: {editor} publishes {digest}",
            editor=desk.editor.user,
            digest=digest.name,
        )
        report = await ops.publish(digest.name, desk.editor.user)
        return self._page("desk_done.html.j2", request, desk, digest=digest, report=report)

    async def item_action(self, request: Request) -> Response:
        desk, digest, form = await self._change(request)
        item_id = request.path_params["item"]
        action = form.get("action", "")
        actor = desk.editor.user
        if action in ("up", "down"):
            await self._move(digest, item_id, -1 if action == "up" else 1, actor)
        elif action == "edit":
            changes = _edits(form)
            await self._on_item(
                digest, item_id, lambda repo, item: self._edit(repo, item, changes, actor)
            )
        elif action in VERDICTS:
            await self._on_item(
                digest,
                item_id,
                lambda repo, item: decide(self.core, repo, item, actor, action, None),
            )
        else:
            raise Refusal(400, f"Unknown action {action[:40]!r}.")
        back = "queue" if form.get("back") == "queue" else f"#item-{item_id}"
        return self._back(request, digest, back)

    async def order(self, request: Request) -> Response:
        """The drag and drop's new order of one section (``items``: ids, comma-separated)."""
        desk, digest, form = await self._change(request)
        section = form.get("section", "")
        try:
            ids = [int(part) for part in form.get("items", "").split(",") if part]
        except ValueError:
            raise Refusal(400, "The order must list item numbers.") from None
        issue = await self.engine.preview(digest)
        if section not in _section_choices(digest, issue) or not ids:
            raise Refusal(400, "Drop the item into one of the issue's sections.")
        if not set(ids) <= {entry.item_id for entry in issue.items}:
            raise Refusal(400, "Only the next issue's items can be ordered; reload the page.")
        actor = desk.editor.user
        await self.core.run(
            lambda repo: arrange(self.config, repo, digest.name, section, ids, actor)
        )
        return self._back(request, digest, "")

    async def words(self, request: Request) -> Response:
        """The next issue's intro and outro (empty: the digest's configured text)."""
        desk, digest, form = await self._change(request)
        intro = form.get("intro", "").strip()[:FIELD_LIMIT] or None
        outro = form.get("outro", "").strip()[:FIELD_LIMIT] or None

        def save(repo: Repo) -> None:
            state = repo.digest_state(digest.name)
            state.intro, state.outro = intro, outro

        await self.core.run(save)
        log_event(
            log,
            "desk_words",
            "desk: {editor} set the intro and outro of {digest}",
            editor=desk.editor.user,
            digest=digest.name,
        )
        return self._back(request, digest, "#words")

    # --- helpers ----------------------------------------------------------------------------
    async def _move(self, digest: DigestConfig, item_id: int, step: int, actor: str) -> None:
        issue = await self.engine.preview(digest)
        section = _section_of(issue, item_id)
        ids = [entry.item_id for entry in section.items]
        place = ids.index(item_id)
        other = place + step
        if 0 <= other < len(ids):
            ids[place], ids[other] = ids[other], ids[place]
        name = section.name
        await self.core.run(lambda repo: arrange(self.config, repo, digest.name, name, ids, actor))

    async def _on_item(
        self, digest: DigestConfig, item_id: int, work: Callable[[Repo, Item], object]
    ) -> None:
        def run(repo: Repo) -> None:
            item = find_item(repo, digest, str(item_id))
            if item is None:
                raise Refusal(404, f"No item {item_id} in {digest.name}.")
            work(repo, item)

        try:
            await self.core.run(run)
        except Refused as refused:
            raise Refusal(400, str(refused)) from None

    def _edit(self, repo: Repo, item: Item, changes: dict[str, str], actor: str) -> None:
        """A decision for each field the editor changed (an unchanged field records nothing)."""
        shown = issue_item(item)
        current = {
            "title": shown.title,
            "summary": shown.summary or "",
            "why": item.why or "",
            "section": item.section or "",
            "image": shown.image_url or "",
        }
        for field, value in changes.items():
            if field == "image" and value and not value.startswith(("https://", "http://")):
                raise Refused("An image must be an http(s) link to a picture.")
            if value and value != current[field]:
                decide(self.core, repo, item, actor, field, value)

    async def _session(self, request: Request) -> DeskSession | None:
        cookie = request.cookies.get(COOKIE)
        return await run_in_threadpool(self.signin.session, cookie)  # the key may be read

    async def _editor_of(self, request: Request) -> tuple[DeskSession, DigestConfig]:
        desk = await self._session(request)
        if desk is None:
            raise Refusal(401, "Sign in first: ask for a link with /linkletter desk in chat.")
        name = request.path_params["digest"]
        digest = next((d for d in self.config.digests if d.name == name), None)
        if digest is None:
            raise HTTPException(404)
        if not desk.editor.edits(digest):
            raise Refusal(403, NOT_AN_EDITOR)
        return desk, digest

    async def _posted(self, request: Request) -> tuple[DeskSession, Form]:
        desk = await self._session(request)
        if desk is None:
            raise Refusal(401, "Sign in first: ask for a link with /linkletter desk in chat.")
        form = await _form(request)
        if not self.signin.csrf_ok(desk, form.get("csrf", "")):
            raise Refusal(403, "This form is out of date: reload the page and try again.")
        return desk, form

    async def _change(self, request: Request) -> tuple[DeskSession, DigestConfig, Form]:
        desk, digest = await self._editor_of(request)
        _same, form = await self._posted(request)
        return desk, digest, form

    def _back(self, request: Request, digest: DigestConfig, where: str) -> Response:
        root = _root(request)
        return RedirectResponse(f"{root}desk/{digest.name}/{where}", 303, headers=PRIVATE)

    def _page(self, template: str, request: Request, desk: DeskSession, **context: Any) -> Response:
        return _page(
            template,
            request,
            200,
            csrf=self.signin.csrf(desk),
            editor=desk.editor.user,
            **context,
        )


def _page(template: str, request: Request, status: int, **context: Any) -> Response:
    """A desk page; ``editor`` (signed in) and ``digest`` (chosen) may be absent."""
    context = {"editor": None, "digest": None, "events": None, **context}
    root = _root(request)
    html = render_template(template, root=root, **context)
    return HTMLResponse(html, status, headers={"Content-Security-Policy": DESK_CSP, **PRIVATE})


def _guarded(handler: Handler) -> Handler:
    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except Refusal as refusal:
            return _page(
                "desk_message.html.j2",
                request,
                refusal.status,
                message=refusal.message,
                editor=None,
            )

    return guarded


def _root(request: Request) -> str:
    """The relative way back to the app's root (``root_path`` ends in the ``/desk`` mount)."""
    return relative_root("/desk" + app_path(request))


async def _form(request: Request) -> Form:
    """The fields of a URL-encoded form (every desk form, and the drag and drop's request);
    the first value of a repeated field. Anything else is refused."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise Refusal(415, "The desk only takes its own forms.")
    body = (await request.body()).decode("utf-8", errors="replace")
    fields: Form = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def _edits(form: Form) -> dict[str, str]:
    return {field: form.get(field, "").strip()[:FIELD_LIMIT] for field in EDITABLE if field in form}


def _section_of(issue: CompiledIssue, item_id: int) -> IssueSection:
    for section in issue.sections:
        if any(entry.item_id == item_id for entry in section.items):
            return section
    raise Refusal(404, f"Item {item_id} is not in the next issue; reload the page.")


def _layout(digest: DigestConfig, issue: CompiledIssue) -> list[tuple[str, tuple[IssueItem, ...]]]:
    """Every section an item can go in, with the issue's items in it (drop targets too)."""
    present = {section.name: section.items for section in issue.sections}
    return [(name, present.get(name, ())) for name in _section_choices(digest, issue)]


def _section_choices(digest: DigestConfig, issue: CompiledIssue) -> list[str]:
    named = [section.name for section in issue.sections]
    return list(dict.fromkeys([*known_sections(digest), *named]))
