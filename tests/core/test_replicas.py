"""Three scheduler processes against one database post each issue once (reliability row 18)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from storage.db import Database
from tests.core.test_scheduler import approve_one

ROOT = Path(__file__).resolve().parents[2]


def test_three_processes_post_once(db: Database, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        approve_one(db, name)
    url = db.engine.url.render_as_string(hide_password=False)
    posts = tmp_path / "posts.jsonl"
    posts.touch()
    replicas = [
        subprocess.Popen(  # noqa: S603 - our own interpreter running our own test module
            [sys.executable, "-m", "tests.core.replica", url, str(posts)], cwd=ROOT
        )
        for _ in range(3)
    ]
    assert [replica.wait(timeout=120) for replica in replicas] == [0, 0, 0]
    lines = [json.loads(line) for line in posts.read_text().splitlines()]
    published = [line for line in lines if line["channel"] == "slack:CPUB"]
    assert published, "the issue was not posted at all"
    assert max(Counter(line["key"] for line in published).values()) == 1
    assert len({line["pid"] for line in published}) == 1  # one replica did the whole issue
