"""The HTML e-mail in a real browser: Chromium screenshots at phone (375 px) and desktop (1024 px).

Images come from a real HTTP server on 127.0.0.1. With LINKLETTER_UPDATE_SCREENSHOTS=1 the
screenshots are saved to docs/images/ for the README.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.digest.render import render_html_email

from .issues import FIXTURES, realistic_issue

CHROMIUM = Path("/usr/bin/chromium")
DOCS_IMAGES = Path(__file__).parents[2] / "docs" / "images"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs /usr/bin/chromium (CI installs Debian's chromium)"
    ),
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


@pytest.fixture
def image_server() -> Iterator[str]:
    handler = partial(QuietHandler, directory=str(FIXTURES / "images"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def screenshot(page: Path, width: int, out: Path, profile: Path) -> bytes:
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", "--virtual-time-budget=5000",
        f"--user-data-dir={profile}", f"--window-size={width},2000",
        f"--screenshot={out}", page.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=90)  # noqa: S603
    return out.read_bytes()


@pytest.mark.parametrize("width", [375, 1024])
def test_email_renders_in_chromium(image_server: str, tmp_path: Path, width: int) -> None:
    page = tmp_path / "email.html"
    page.write_text(render_html_email(realistic_issue(image_base=image_server)), encoding="utf-8")
    png = screenshot(page, width, tmp_path / f"email-{width}.png", tmp_path / "profile")
    assert png_size(png) == (width, 2000)
    assert len(png) > 20_000  # a blank or error page compresses to a few kilobytes
    if os.environ.get("LINKLETTER_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / f"email-{width}.png", DOCS_IMAGES / f"email-{width}.png")
