"""What the desk refuses, in Debian's Chromium: a used link, an expired one, a digest the editor
does not edit, a form whose CSRF token was tampered with, and any page after signing out."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from storage.db import Database
from tests.web.browser import BROWSER_MARKS, follow
from tests.web.browser import browser as make_browser
from tests.web.conftest import PageSite, serving
from tests.web.desk_world import World, build_world

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

pytest.importorskip("selenium", reason="selenium is not installed (the dev extra has it)")
pytestmark = BROWSER_MARKS


def _sign_in(browser: Chrome, link: str) -> str:
    """Open the link, press Sign in; the page's main text."""
    from selenium.webdriver.common.by import By

    browser.get(link)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button.primary"))
    return str(browser.find_element(By.TAG_NAME, "main").text)


def _walk(browser: Chrome, base: str, link: str) -> dict[str, Any]:
    from selenium.webdriver.common.by import By

    seen: dict[str, Any] = {"first": _sign_in(browser, link)}
    seen["reused"] = _sign_in(browser, link)
    browser.get(f"{base}/desk/other/")
    seen["other"] = browser.find_element(By.TAG_NAME, "main").text
    browser.get(f"{base}/desk/weekly/queue")
    card = browser.find_element(By.CSS_SELECTOR, ".queue .card")
    seen["draft"] = (card.get_attribute("id") or "").removeprefix("item-")
    form = card.find_element(By.CSS_SELECTOR, "form.actions")
    csrf = form.find_element(By.NAME, "csrf")
    browser.execute_script("arguments[0].value = 'forged'", csrf)
    follow(browser, form.find_element(By.CSS_SELECTOR, 'button[value="approve"]'))
    seen["forged"] = browser.find_element(By.TAG_NAME, "main").text
    browser.get(f"{base}/desk/weekly/")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.inline button.link"))  # Sign out
    browser.get(f"{base}/desk/weekly/")
    seen["signed_out"] = browser.find_element(By.TAG_NAME, "main").text
    return seen


async def test_the_desk_refuses_in_the_browser(
    sqlite_db: Database, page_site: PageSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SE_OFFLINE", "true")
    world: World = await build_world(sqlite_db, page_site, tmp_path)
    browser = await asyncio.to_thread(make_browser)
    try:
        async with serving(world.app()) as client:
            base = str(client.base_url)
            link = world.link().replace("http://127.0.0.1:8080", base)
            seen = await asyncio.to_thread(_walk, browser, base, link)
            stale = world.link().replace("http://127.0.0.1:8080", base)
            world.clock.value += timedelta(minutes=16)
            seen["expired"] = await asyncio.to_thread(_sign_in, browser, stale)
    finally:
        await asyncio.to_thread(browser.quit)
    assert "Your digests" in seen["first"]
    assert "already used" in seen["reused"]
    assert "Only a digest's editors" in seen["other"]
    assert "out of date" in seen["forged"]
    assert "Sign in first" in seen["signed_out"]
    assert "expired" in seen["expired"]
    with world.db.reading() as uow:
        item = uow.items.item(int(seen["draft"]))
    assert item is not None
    assert item.status == "draft"  # the forged approval changed nothing
