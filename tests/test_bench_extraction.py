"""The extraction benchmark compares what it says: both contenders read the same pages and are
scored against the same hand-accepted text (figures: ``python -m bench.extraction``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.extraction import run
from tests.enrich.servers import READABILITY


def test_the_benchmark_reports_both_contenders_and_the_guard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("ars-1", "bbc-1"):
        shutil.copytree(READABILITY / name, tmp_path / name)
    run(tmp_path, repeat=1)
    out = capsys.readouterr().out
    assert "2 pages" in out
    assert "ours " in out
    assert "baseline " in out
    assert "of 2 pages" in out  # both have enough words to be scored
    assert "ratio ours / baseline: " in out
    assert "nesting guard" in out
