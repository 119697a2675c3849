"""``linkletter run`` with ``[archive] enabled``: the runner starts the archive worker, which
asks the endpoint named by ``LINKLETTER_ARCHIVE_URL`` (here the local Save Page Now) for a copy
of an approved item."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app.runner import serve
from bot.config import parse_config
from bot.platforms import every
from storage.db import Database
from storage.models import Item
from tests.core.helpers import items
from tests.enrich import fake_wayback as wb
from tests.matrix.support import eventually

CONFIG = """
[web]
port = 0

[archive]
enabled = true
save_url = "https://archive.invalid/save/"

[[digest]]
name = "weekly"
sources = []
"""
PAGE = "http://93.184.216.34/essay"  # a public address: checked without a DNS lookup


async def test_run_starts_the_archive_worker_when_enabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for platform in every():
        monkeypatch.delenv(platform.token_variable, raising=False)
    db = Database.connect(f"sqlite:///{tmp_path / 'run.db'}")
    db.upgrade()
    row = Item(digest="weekly", canonical_url=PAGE, url=PAGE, status="approved")
    row.enrich_status = "done"
    db.write_now(lambda uow: uow.items.add(row))
    async with wb.fake_wayback() as archive:
        archive.answers.append(wb.CONTENT_LOCATION)
        monkeypatch.setenv("LINKLETTER_ARCHIVE_URL", archive.save_url)
        stop = asyncio.Event()
        running = asyncio.create_task(serve(parse_config(CONFIG), db, "127.0.0.1", 0, stop=stop))
        try:
            found = await eventually(lambda: items(db)[0].archived_url)
            assert found == archive.copy(PAGE)
        finally:
            stop.set()
            await asyncio.wait_for(running, 30)
    assert archive.saved == [PAGE]
