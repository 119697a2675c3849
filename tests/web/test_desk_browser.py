"""An editor prepares and publishes an issue in Debian's Chromium (Selenium): sign-in by link,
reorder by drag and by keyboard, edit and approve, previews equal to ``digest render``, a chat
reaction appearing on the next load; screenshots at desktop and phone width."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli_app
from storage.db import Database
from tests.core.helpers import EDITOR, react
from tests.web.browser import (
    BROWSER_MARKS,
    desktop,
    follow,
    full_page_screenshot,
    mark_page,
    phone,
    wait_for_load,
)
from tests.web.browser import browser as make_browser
from tests.web.conftest import PageSite, serving
from tests.web.desk_world import DESK_CONFIG, World, build_world

if TYPE_CHECKING:
    from selenium.webdriver import Chrome
    from selenium.webdriver.remote.webelement import WebElement

pytest.importorskip("selenium", reason="selenium is not installed (the dev extra has it)")
pytestmark = BROWSER_MARKS
DOCS_IMAGES = Path(__file__).parents[2] / "docs" / "images"
SHOTS_ENV = "LINKLETTER_DESK_SCREENSHOTS"  # set to 1 to refresh docs/images/desk-*.png


def order(browser: Chrome, section: str) -> list[str]:
    """The item ids of a section, top to bottom (one script: atomic while the page reloads)."""
    found: list[str] = browser.execute_script(
        "return Array.from(document.querySelectorAll(`[data-section='${arguments[0]}'] "
        "[data-item]`), card => card.dataset.item)",
        section,
    )
    return found


def card(browser: Chrome, item: str) -> WebElement:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, f"item-{item}")


def cli(*args: str) -> str:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _first_walk(browser: Chrome, base: str, link: str, shots: Path) -> dict[str, Any]:
    """Sign in, drag, move by keyboard, edit, approve from the queue."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    seen: dict[str, Any] = {}
    browser.get(link)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button.primary"))
    seen["cookie_visible_to_scripts"] = browser.execute_script("return document.cookie")
    follow(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "weekly: next issue"))
    seen["issue_url"] = browser.current_url
    seen["links_before"] = order(browser, "Links")
    seen["news_before"] = order(browser, "News")
    browser.save_screenshot(str(shots / "desk-issue.png"))

    # drag the News item (featured) below the first Links item, by its handle
    moved = seen["news_before"][0]
    target = card(browser, seen["links_before"][0])
    handle = card(browser, moved).find_element(By.CLASS_NAME, "handle")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    below_middle = target.size["height"] // 4  # offsets count from the target's centre
    mark_page(browser)
    drag = ActionChains(browser).click_and_hold(handle)
    drag.move_to_element_with_offset(target, 0, below_middle).release().perform()
    wait_for_load(browser)  # the script posted the new order and reloaded the page
    seen["links_after_drag"] = order(browser, "Links")

    # keyboard: Tab to the first card's "Down" button, press Enter
    first = order(browser, "Links")[0]
    down = card(browser, first).find_element(By.CSS_SELECTOR, 'button[value="down"]')
    browser.execute_script("arguments[0].focus()", down)
    mark_page(browser)
    down.send_keys(Keys.ENTER)
    wait_for_load(browser)
    seen["links_after_keyboard"] = order(browser, "Links")
    up = card(browser, first).find_element(By.CSS_SELECTOR, 'button[value="up"]')
    browser.execute_script("arguments[0].focus()", up)
    seen["focus_outline"] = browser.execute_script(
        "return getComputedStyle(arguments[0]).outlineStyle", up
    )
    browser.save_screenshot(str(shots / "desk-focus.png"))

    # edit the first item's title and why
    edited = order(browser, "Links")[0]
    card(browser, edited).find_element(By.TAG_NAME, "summary").click()
    title = browser.find_element(By.ID, f"title-{edited}")
    title.clear()
    title.send_keys("Readability, explained by the desk")
    why = browser.find_element(By.ID, f"why-{edited}")
    why.clear()
    why.send_keys("Because the desk says so")
    full_page_screenshot(browser, shots / "desk-edit.png")
    follow(browser, card(browser, edited).find_element(By.CSS_SELECTOR, 'button[value="edit"]'))
    seen["edited"] = edited
    seen["edited_heading"] = card(browser, edited).find_element(By.TAG_NAME, "h3").text

    # the queue: approve the draft with a why reply
    follow(browser, browser.find_element(By.LINK_TEXT, "Queue"))
    full_page_screenshot(browser, shots / "desk-queue.png")
    drafts = browser.find_elements(By.CSS_SELECTOR, ".queue .card")
    seen["queue_titles"] = [d.find_element(By.TAG_NAME, "h3").text for d in drafts]
    lemonde = next(d for d in drafts if "Monde" in d.text)
    seen["approved"] = (lemonde.get_attribute("id") or "").removeprefix("item-")
    follow(browser, lemonde.find_element(By.CSS_SELECTOR, 'button[value="approve"]'))
    seen["queue_after"] = _queue_titles(browser)
    return seen


def _queue_titles(browser: Chrome) -> list[str]:
    from selenium.webdriver.common.by import By

    cards = browser.find_elements(By.CSS_SELECTOR, ".queue .card h3")
    return [str(title.text) for title in cards]


def _second_walk(browser: Chrome, base: str, shots: Path) -> dict[str, Any]:
    """After a chat ✅: the issue shows it; the phone width; the previews."""
    from selenium.webdriver.common.by import By

    seen: dict[str, Any] = {}
    browser.get(f"{base}/desk/weekly/")
    seen["links"] = order(browser, "Links")
    full_page_screenshot(browser, shots / "desk-issue-full.png")
    phone(browser)
    browser.get(f"{base}/desk/weekly/")
    seen["phone_overflow"] = browser.execute_script(
        "return document.documentElement.scrollWidth > window.innerWidth"
    )
    full_page_screenshot(browser, shots / "desk-phone.png")
    desktop(browser)
    follow(browser, browser.find_element(By.LINK_TEXT, "Markdown"))
    seen["markdown"] = browser.find_element(By.ID, "preview").text
    browser.back()
    follow(browser, browser.find_element(By.LINK_TEXT, "Slack"))
    seen["slack"] = browser.find_element(By.ID, "preview").text
    browser.back()
    follow(browser, browser.find_element(By.LINK_TEXT, "E-mail"))
    seen["email_title"] = browser.title
    browser.save_screenshot(str(shots / "desk-email-preview.png"))
    return seen


def _publish(browser: Chrome, base: str) -> str:
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/desk/weekly/")
    follow(browser, browser.find_element(By.LINK_TEXT, "Publish now…"))
    follow(browser, browser.find_element(By.ID, "confirm-publish"))
    return str(browser.find_element(By.CSS_SELECTOR, "pre.report").text)


async def test_an_editor_prepares_and_publishes_an_issue_in_the_browser(
    sqlite_db: Database,
    page_site: PageSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never try to download
    world = await build_world(sqlite_db, page_site, tmp_path)
    world.clock.value = datetime.now(UTC)  # the CLI's digest render compiles with the real clock
    config_file = tmp_path / "linkletter.toml"
    config_file.write_text(DESK_CONFIG.format(out=world.out, web=""))
    monkeypatch.setenv("LINKLETTER_CONFIG", str(config_file))
    monkeypatch.setenv("LINKLETTER_DATABASE_URL", sqlite_db.url)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    browser = await asyncio.to_thread(make_browser)
    try:
        async with serving(world.app()) as client:
            base = str(client.base_url)
            link = world.link().replace("http://127.0.0.1:8080", base)
            first = await asyncio.to_thread(_first_walk, browser, base, link, shots)
            listed = await asyncio.to_thread(cli, "items", "list", "--json")
            await asyncio.to_thread(mark_page, browser)  # the queue, left open
            reaction = await world.core.handle(
                react("slack:C1", "m5", EDITOR, "white_check_mark", 50)
            )
            await asyncio.to_thread(wait_for_load, browser)  # it reloads by itself (SSE)
            live = await asyncio.to_thread(_queue_titles, browser)
            second = await asyncio.to_thread(_second_walk, browser, base, shots)
            rendered = {
                fmt: await asyncio.to_thread(cli, "digest", "render", "--format", fmt)
                for fmt in ("markdown", "slack")
            }
            published = await asyncio.to_thread(_publish, browser, base)
    finally:
        await asyncio.to_thread(browser.quit)
    _check_first(world, first, listed)
    assert reaction.item_ids
    assert first["queue_after"] == [f"http://127.0.0.1:{page_site.port}/pages/missing-page"]
    assert live == []  # the chat ✅ took the last draft out of the open queue, live
    assert str(reaction.item_ids[0]) in second["links"]
    assert second["phone_overflow"] is False
    _check_previews(second, rendered)
    assert "issue 1 published" in published
    for shot in shots.iterdir():
        assert shot.stat().st_size > 10_000, shot
    if os.environ.get(SHOTS_ENV):
        for shot in shots.iterdir():
            shutil.copy(shot, DOCS_IMAGES / shot.name)


def _check_first(world: World, seen: dict[str, Any], listed: str) -> None:
    assert seen["cookie_visible_to_scripts"] == ""  # HttpOnly
    assert str(seen["issue_url"]).endswith("/desk/weekly/")
    links, news = seen["links_before"], seen["news_before"]
    assert (len(links), len(news)) == (2, 1)
    assert seen["links_after_drag"] == [links[0], news[0], links[1]]
    assert seen["links_after_keyboard"] == [news[0], links[0], links[1]]
    assert seen["focus_outline"] == "solid"
    assert seen["edited_heading"].endswith("Readability, explained by the desk")
    assert not any("Monde" in title for title in seen["queue_after"])
    items = {str(item["id"]): item for item in json.loads(listed)}
    assert items[str(seen["edited"])]["title"] == "Readability, explained by the desk"
    assert items[str(seen["edited"])]["why"] == "Because the desk says so"
    assert items[str(seen["approved"])]["status"] == "approved"
    del world


def _check_previews(seen: dict[str, Any], rendered: dict[str, str]) -> None:
    markdown, slack = rendered["markdown"], rendered["slack"]
    date = re.compile(r"^date: .*$", re.MULTILINE)  # the compile time, to the microsecond
    assert date.sub("date:", str(seen["markdown"])) == date.sub("date:", markdown.strip())
    assert json.loads(str(seen["slack"])) == json.loads(slack)
    assert str(seen["email_title"]).startswith("weekly — Issue 1")
