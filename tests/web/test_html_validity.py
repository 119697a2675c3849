"""Every page of the web archive passes the Nu HTML Checker (the W3C's validator)."""

from __future__ import annotations

from pathlib import Path

from bot.config import Config
from storage.db import Database
from tests.nu_checker import problems
from tests.web.conftest import make_app, serving

PAGES = ("/", "/d/weekly/", "/d/weekly/1", "/d/weekly/2", "/d/quiet/", "/stats", "/d/nope/")


async def test_archive_pages_pass_the_nu_html_checker(
    seeded: Config, db: Database, tmp_path: Path
) -> None:
    async with serving(make_app(seeded, db)) as client:
        responses = {path: await client.get(path) for path in PAGES}
    assert responses["/d/nope/"].status_code == 404
    documents = {
        path.strip("/").replace("/", "-") or "index": response.text
        for path, response in responses.items()
    }
    assert problems(documents, tmp_path) == []
