"""Headless Chromium (Debian's package, driven by Selenium through chromedriver) walks the
archive like a reader: index → issue → Atom feed, then the stats page; screenshots are saved.

The browser is kept off the network: every non-loopback request goes to a closed local port
(the articles' images, from the pages' own CDNs, show their alt text instead). The docs'
pictures of the archive come from a demo run instead: ``scripts/demo-screenshots``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import feedparser
import pytest

from storage.db import Database
from tests.web.browser import BROWSER_MARKS, full_page_screenshot
from tests.web.browser import browser as make_browser
from tests.web.conftest import PageSite, archive_config, make_app, seed_archive, serving

pytest.importorskip("selenium", reason="selenium is not installed (the dev extra has it)")
pytestmark = BROWSER_MARKS


def _walk(base_url: str, shots: Path) -> dict[str, str]:
    """The reader's walk (blocking WebDriver calls: run in a thread, the server needs the loop)."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    seen: dict[str, str] = {}
    browser = make_browser()
    try:
        browser.get(f"{base_url}/")
        browser.save_screenshot(str(shots / "web-index.png"))
        browser.find_element(By.LINK_TEXT, "weekly — Issue 1").click()
        seen["issue_url"] = browser.current_url
        seen["issue_title"] = browser.title
        seen["hostile_heading"] = browser.find_elements(By.TAG_NAME, "h3")[2].text
        seen["scripts"] = str(len(browser.find_elements(By.TAG_NAME, "script")))
        try:
            seen["alert"] = browser.switch_to.alert.text
        except NoAlertPresentException:
            seen["alert"] = ""
        browser.save_screenshot(str(shots / "web-issue.png"))
        browser.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
        )
        browser.save_screenshot(str(shots / "web-issue-dark.png"))
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        browser.find_element(By.LINK_TEXT, "Atom feed").click()
        seen["feed_url"] = browser.current_url
        seen["feed"] = browser.find_element(By.TAG_NAME, "body").text
        browser.save_screenshot(str(shots / "web-feed.png"))
        browser.get(f"{base_url}/")
        browser.find_element(By.LINK_TEXT, "Stats").click()
        seen["stats_url"] = browser.current_url
        seen["chart_bars"] = str(len(browser.find_elements(By.CSS_SELECTOR, "svg rect")))
        full_page_screenshot(browser, shots / "web-stats.png")
    finally:
        browser.quit()
    return seen


async def test_a_reader_walks_index_issue_and_feed(
    sqlite_db: Database, page_site: PageSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never try to download
    config = archive_config(tmp_path / "published")
    await seed_archive(sqlite_db, config, page_site)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    async with serving(make_app(config, sqlite_db)) as client:
        base = str(client.base_url)
        seen = await asyncio.to_thread(_walk, base, shots)
    assert seen["issue_url"] == f"{base}/d/weekly/1"
    assert seen["issue_title"] == "weekly — Issue 1"
    assert seen["hostile_heading"].startswith("3. <script>alert(1)</script> Hostile <b>title</b>")
    assert (seen["scripts"], seen["alert"]) == ("0", "")
    assert seen["feed_url"] == f"{base}/d/weekly/feed.xml"
    feed = feedparser.parse(seen["feed"])
    assert not feed.bozo
    assert [entry.link for entry in feed.entries] == [f"{base}/d/weekly/2", f"{base}/d/weekly/1"]
    assert seen["stats_url"] == f"{base}/stats"
    assert seen["chart_bars"] == str(12 * 2)
    for shot in shots.iterdir():
        assert shot.stat().st_size > 10_000, shot  # a rendered page, not a blank frame
