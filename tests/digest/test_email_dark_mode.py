"""The e-mail's dark colour scheme really applies: Chromium, told the reader prefers dark, paints
the card, text and links in the dark palette over their inline light styles (and in the light
palette otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.digest.render import render_html_email, render_html_page
from tests.web.browser import BROWSER_MARKS
from tests.web.browser import browser as make_browser

from .issues import realistic_issue

pytestmark = BROWSER_MARKS
PROBES = {  # element -> CSS property read from the browser's computed style
    "body": "background-color",
    "table.ll-card": "background-color",
    "h1": "color",
    "h3 a": "color",
    "p.ll-why": "background-color",
    "p.ll-muted": "color",
}
LIGHT = {
    "body": "rgba(243, 244, 246, 1)",
    "table.ll-card": "rgba(255, 255, 255, 1)",
    "h1": "rgba(17, 24, 39, 1)",
    "h3 a": "rgba(29, 78, 216, 1)",
    "p.ll-why": "rgba(249, 250, 251, 1)",
    "p.ll-muted": "rgba(107, 114, 128, 1)",
}
DARK = {
    "body": "rgba(15, 17, 21, 1)",
    "table.ll-card": "rgba(26, 29, 35, 1)",
    "h1": "rgba(229, 231, 235, 1)",
    "h3 a": "rgba(147, 197, 253, 1)",
    "p.ll-why": "rgba(35, 39, 47, 1)",
    "p.ll-muted": "rgba(156, 163, 175, 1)",
}


def colours(page: Path, scheme: str) -> dict[str, str]:
    from selenium.webdriver.common.by import By

    browser = make_browser()
    try:
        browser.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )
        browser.get(page.as_uri())
        return {
            selector: browser.find_element(By.CSS_SELECTOR, selector).value_of_css_property(name)
            for selector, name in PROBES.items()
        }
    finally:
        browser.quit()


@pytest.mark.parametrize("render", [render_html_email, render_html_page])
def test_dark_scheme_overrides_the_inline_light_colours(
    render: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert callable(render)
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never try to download
    page = tmp_path / "email.html"
    page.write_text(render(realistic_issue()), encoding="utf-8")
    assert colours(page, "light") == LIGHT
    assert colours(page, "dark") == DARK
