"""The editors' desk over HTTP (the real server): sign-in, refusals, CSRF, and that every desk
action is an editor fact chat, CLI and renderers agree on."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.curate.signin import Editor
from bot.digest.render import render_markdown
from bot.ports import CommandRequest
from storage.db import Database
from tests.core.helpers import ANN, EDITOR, READER, post, react
from tests.web.conftest import PageSite, serving
from tests.web.desk_world import DESK_CONFIG, World, build_world, sign_in

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PREVIEW = re.compile(r'<pre class="preview" id="preview" tabindex="0">(.*?)</pre>', re.DOTALL)


@pytest.fixture
async def world(db: Database, page_site: PageSite, tmp_path: Path) -> World:
    return await build_world(db, page_site, tmp_path)


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(world.app()) as served:
        yield served


async def signed_in(world: World, client: httpx.AsyncClient) -> str:
    """Sign the editor in; the CSRF token of their session."""
    assert (await sign_in(client, world.link())).status_code == 303
    page = await client.get("/desk/weekly/")
    assert page.status_code == 200
    found = CSRF.search(page.text)
    assert found
    return found.group(1)


def item_id(world: World, message_id: str) -> int:
    with world.db.reading() as uow:
        [share] = [s for s in uow.items.shares_of_items(range(1, 50)) if s.message_id == message_id]
        return share.item_id


async def test_a_link_opens_a_session_once(world: World, client: httpx.AsyncClient) -> None:
    link = world.link()
    assert link.startswith("http://127.0.0.1:8080/desk/signin?token=")
    signed = await sign_in(client, link)
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/desk/" in cookie
    assert "Max-Age=43200" in cookie
    assert "Secure" not in cookie
    home = await client.get("/desk/")
    assert home.status_code == 200
    assert "weekly: next issue" in home.text
    assert "other" not in home.text  # not this editor's digest
    assert home.headers["cache-control"] == "private, no-store"
    again = await httpx.AsyncClient(base_url=client.base_url).post(
        "/desk/signin", data={"token": httpx.URL(link).params["token"]}
    )
    assert again.status_code == 403
    assert "already used" in again.text


async def test_an_expired_or_unknown_link_is_refused(
    world: World, client: httpx.AsyncClient
) -> None:
    link = world.link()
    world.clock.value += timedelta(minutes=15, seconds=1)
    refused = await sign_in(client, link)
    assert refused.status_code == 403
    assert "expired" in refused.text
    assert "set-cookie" not in refused.headers
    forged = await client.post("/desk/signin", data={"token": "x" * 43})
    assert forged.status_code == 403
    assert "not valid" in forged.text
    assert (await client.get("/desk/weekly/")).status_code == 401


async def test_a_session_ends_after_twelve_hours(world: World, client: httpx.AsyncClient) -> None:
    await signed_in(world, client)
    world.clock.value += timedelta(hours=12)
    assert (await client.get("/desk/weekly/")).status_code == 401


async def test_non_editors_are_refused(world: World, client: httpx.AsyncClient) -> None:
    with pytest.raises(PermissionError, match="not an editor"):
        world.link(ANN.id)
    await signed_in(world, client)
    other = await client.get("/desk/other/")
    assert other.status_code == 403
    assert "editors" in other.text
    assert (await client.get("/desk/nope/")).status_code == 404
    forged = httpx.AsyncClient(base_url=client.base_url, cookies={"linkletter_desk": "e30.AAAA"})
    assert (await forged.get("/desk/weekly/")).status_code == 401


async def test_csrf_is_refused_and_nothing_changes(world: World, client: httpx.AsyncClient) -> None:
    csrf = await signed_in(world, client)
    draft = item_id(world, "m4")
    for token in ("", "wrong", csrf[:-2]):
        refused = await client.post(
            f"/desk/weekly/items/{draft}", data={"csrf": token, "action": "approve"}
        )
        assert refused.status_code == 403
        assert "reload" in refused.text
    with world.db.reading() as uow:
        assert uow.items.item(draft).status == "draft"  # type: ignore[union-attr]


async def test_desk_actions_are_editor_facts(world: World, client: httpx.AsyncClient) -> None:
    csrf = await signed_in(world, client)
    draft = item_id(world, "m4")
    approved = await client.post(
        f"/desk/weekly/items/{draft}", data={"csrf": csrf, "action": "approve", "back": "queue"}
    )
    assert approved.status_code == 303
    assert approved.headers["location"] == "../../../desk/weekly/queue"
    edit = {"csrf": csrf, "action": "edit", "title": "Le Monde, re-titled", "why": "Our why"}
    assert (await client.post(f"/desk/weekly/items/{draft}", data=edit)).status_code == 303
    with world.db.reading() as uow:
        repo = uow.items
        item = repo.item(draft)
        decisions = [(d.actor, d.action, d.value) for d in repo.decisions_of_items([draft])]
    assert item is not None
    assert (item.status, item.title_override, item.why) == (
        "approved",
        "Le Monde, re-titled",
        "Our why",
    )
    assert decisions == [
        ("slack:UED", "approve", None),
        ("slack:UED", "title", "Le Monde, re-titled"),
        ("slack:UED", "why", "Our why"),
    ]
    page = await client.get("/desk/weekly/")
    assert "Le Monde, re-titled" in page.text
    assert "Our why" in page.text


async def test_manual_order_survives_new_items_and_every_renderer_uses_it(
    world: World, client: httpx.AsyncClient, page_site: PageSite
) -> None:
    csrf = await signed_in(world, client)
    first, third = item_id(world, "m1"), item_id(world, "m3")
    engine = world.engine
    digest = world.config.digest("weekly")

    before = await engine.preview(digest)
    assert [s.name for s in before.sections] == ["News", "Links"]
    assert [e.item_id for e in before.sections[1].items] == [first, third]
    moved = await client.post(f"/desk/weekly/items/{first}", data={"csrf": csrf, "action": "down"})
    assert moved.status_code == 303
    # a new approved item arrives from chat afterwards: it follows the placed ones
    await world.core.handle(post("slack:C1", "m6", ANN, f"{page_site.url('nytimes-1')}", 30))
    await world.core.handle(react("slack:C1", "m6", EDITOR, "white_check_mark", 31))
    newest = item_id(world, "m6")
    after = await engine.preview(digest)
    assert [e.item_id for e in after.sections[1].items] == [third, first, newest]
    markdown = render_markdown(after)
    assert markdown.index(after.sections[1].items[0].title) < markdown.index(
        after.sections[1].items[1].title
    )


async def test_a_drag_moves_an_item_across_sections(
    world: World, client: httpx.AsyncClient
) -> None:
    csrf = await signed_in(world, client)
    first, featured, third = item_id(world, "m1"), item_id(world, "m2"), item_id(world, "m3")
    dropped = await client.post(
        "/desk/weekly/order",
        data={"csrf": csrf, "section": "Links", "items": f"{third},{featured},{first}"},
    )
    assert dropped.status_code == 303
    engine = world.engine
    issue = await engine.preview(world.config.digest("weekly"))
    assert [(s.name, [e.item_id for e in s.items]) for s in issue.sections] == [
        ("Links", [third, featured, first])
    ]
    bad = await client.post(
        "/desk/weekly/order", data={"csrf": csrf, "section": "Nowhere", "items": f"{first}"}
    )
    assert bad.status_code == 400
    unknown = await client.post(
        "/desk/weekly/order", data={"csrf": csrf, "section": "Links", "items": "999"}
    )
    assert unknown.status_code == 400


async def test_a_chat_reaction_shows_in_the_queue_and_issue(
    world: World, client: httpx.AsyncClient
) -> None:
    await signed_in(world, client)
    queue = await client.get("/desk/weekly/queue")
    assert "Le Monde" in queue.text
    assert "👍 2" in queue.text
    assert 'Le Monde&#39;s view <span class="muted">(Ann)</span>' in queue.text  # a reply's why
    failed = await client.get("/desk/weekly/queue?filter=failed")
    assert failed.text.count('class="card"') == 1
    assert "failed" in failed.text
    await world.core.handle(react("slack:C1", "m4", EDITOR, "white_check_mark", 40))
    issue = await client.get("/desk/weekly/")
    assert "Le Monde" in issue.text
    assert "Le Monde" not in (await client.get("/desk/weekly/queue")).text


async def test_intro_and_publish_now(world: World, client: httpx.AsyncClient) -> None:
    csrf = await signed_in(world, client)
    saved = await client.post(
        "/desk/weekly/words", data={"csrf": csrf, "intro": "Hello team", "outro": ""}
    )
    assert saved.status_code == 303
    preview = await client.get("/desk/weekly/preview/markdown")
    assert "Hello team" in preview.text
    confirm = await client.get("/desk/weekly/publish")
    assert "Yes, publish now" in confirm.text
    done = await client.post("/desk/weekly/publish", data={"csrf": csrf})
    assert done.status_code == 200
    assert "issue 1 published" in done.text
    assert sorted(p.suffix for p in world.out.iterdir()) == [".html", ".md"]


async def test_the_chat_command_answers_with_a_private_link(world: World) -> None:
    asked = CommandRequest("desk", "", EDITOR, "slack:C1", "slack")
    reply = await world.core.command(asked)
    assert reply.ephemeral
    assert "/desk/signin?token=" in reply.text
    refused = await world.core.command(CommandRequest("desk", "", READER, "slack:C1", "slack"))
    assert "only this digest's editors" in refused.text


async def test_sub_path_and_https_make_a_secure_cookie(
    db: Database, page_site: PageSite, tmp_path: Path
) -> None:
    world = await build_world(db, page_site, tmp_path, 'public_url = "https://example.org/news/"')
    link = world.link()
    assert link.startswith("https://example.org/news/desk/signin?token=")
    async with serving(world.app()) as client:
        signed = await sign_in(client, link)
    cookie = signed.headers["set-cookie"]
    assert "Secure" in cookie
    assert "Path=/news/desk/" in cookie
    assert Editor("slack:UED").edits(world.config.digest("weekly"))


async def test_every_preview_equals_digest_render(
    world: World, client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk's previews and ``linkletter digest render`` make the same output, format by
    format (only Markdown's ``date:``, the compile time to the microsecond, may differ)."""
    config_file = tmp_path / "linkletter.toml"
    config_file.write_text(DESK_CONFIG.format(out=world.out, web=""))
    monkeypatch.setenv("LINKLETTER_CONFIG", str(config_file))
    monkeypatch.setenv("LINKLETTER_DATABASE_URL", world.db.url)
    world.clock.value = datetime.now(UTC)  # the CLI compiles with the real clock
    await signed_in(world, client)
    date = re.compile(r"^date: .*$", re.MULTILINE)
    for fmt in ("html", "slack", "discord", "markdown"):
        page = await client.get(f"/desk/weekly/preview/{fmt}")
        result = await asyncio.to_thread(
            CliRunner().invoke, cli_app, ["digest", "render", "--format", fmt]
        )
        assert result.exit_code == 0, result.output
        if fmt == "html":
            assert page.text == result.output.removesuffix("\n")
            continue
        [shown] = PREVIEW.findall(page.text)
        assert date.sub("", html.unescape(shown).strip()) == date.sub("", result.output.strip())


async def test_a_why_candidate_can_be_taken_from_the_queue(
    world: World, client: httpx.AsyncClient
) -> None:
    csrf = await signed_in(world, client)
    draft = item_id(world, "m4")
    ours = {"csrf": csrf, "action": "edit", "why": "Our why", "back": "queue"}
    assert (await client.post(f"/desk/weekly/items/{draft}", data=ours)).status_code == 303
    queue = (await client.get("/desk/weekly/queue")).text
    assert 'name="why" value="Le Monde&#39;s view"' in queue  # the reply's, offered again
    taken = {**ours, "why": "Le Monde's view"}
    assert (await client.post(f"/desk/weekly/items/{draft}", data=taken)).status_code == 303
    with world.db.reading() as uow:
        item = uow.items.item(draft)
    assert item is not None
    assert (item.why, item.why_by) == ("Le Monde's view", EDITOR.id)


async def test_a_private_archive_keeps_its_token_and_the_desk_its_own_sign_in(
    db: Database, page_site: PageSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKLETTER_WEB_TOKEN", "archive-token")
    world = await build_world(db, page_site, tmp_path, "private = true")
    async with serving(world.app()) as client:
        assert (await client.get("/")).status_code == 401
        assert "www-authenticate" in (await client.get("/")).headers
        home = await client.get("/desk/")
        assert home.status_code == 401
        assert "www-authenticate" not in home.headers  # the desk's page, not the token's
        assert (await sign_in(client, world.link())).status_code == 303
        assert (await client.get("/desk/weekly/")).status_code == 200


async def test_an_open_page_hears_of_a_chat_reaction(
    world: World, client: httpx.AsyncClient
) -> None:
    """The page's event stream says ``changed`` once a ✅ in chat changes the digest."""
    await signed_in(world, client)
    page = (await client.get("/desk/weekly/queue")).text
    found = re.search(r'data-events="\.\./\.\./desk/weekly/events\?since=(\w+)"', page)
    assert found
    url = f"/desk/weekly/events?since={found.group(1)}"
    async with client.stream("GET", url) as quiet:
        assert quiet.headers["content-type"].startswith("text/event-stream")
        lines = quiet.aiter_lines()
        assert [await anext(lines) for _ in range(3)] == ["retry: 5000", "", ": waiting"]
        await world.core.handle(react("slack:C1", "m4", EDITOR, "white_check_mark", 40))
        heard = [await anext(lines)]
        while heard[-1] != "event: changed" and len(heard) < 30:  # a check every 2 s
            heard.append(await asyncio.wait_for(anext(lines), timeout=10))
    assert heard[-1] == "event: changed"
    forged = httpx.AsyncClient(base_url=client.base_url)
    assert (await forged.get(url)).status_code == 401
