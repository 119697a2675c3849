"""Headless Debian Chromium through Selenium and chromedriver, kept off the network: every
non-loopback request goes to a closed local port. Shared by the archive's and the desk's
browser tests."""

from __future__ import annotations

import base64
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver import Chrome
    from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian's chromium and chromium-driver packages",
    ),
]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def browser(width: int = 1000, height: int = 1100) -> Chrome:
    from selenium.webdriver import Chrome
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    flags = [*FLAGS, f"--window-size={width},{height}"]
    for flag in [*flags, f"--proxy-server=http://127.0.0.1:{_closed_port()}"]:
        options.add_argument(flag)
    return Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


def full_page_screenshot(browser: Chrome, path: Path) -> None:
    """The whole page, below the fold too (DevTools' capture beyond the viewport)."""
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def phone(browser: Chrome, width: int = 375) -> None:
    """Lay pages out as a phone of this width does (a mobile viewport, touch-sized)."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": True},
    )


def desktop(browser: Chrome) -> None:
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def mark_page(browser: Chrome) -> None:
    """Mark the current document, so ``reloaded`` can tell when another one has loaded."""
    browser.execute_script("window.testMark = true")


def reloaded(browser: Chrome) -> bool:
    script = "return !window.testMark && document.readyState === 'complete'"
    return bool(browser.execute_script(script))


def wait_for_load(browser: Chrome) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(reloaded)


def follow(browser: Chrome, element: WebElement) -> None:
    """Click a link or a submit button and wait for the page it leads to."""
    mark_page(browser)
    element.click()
    wait_for_load(browser)
