"""``python -m bench``: every benchmark in turn, with the figures printed as they come.

Each one also runs alone (``python -m bench.<name> --help``). The full run takes a while:
the 1,000,000-item database, 60 s of Slack load, the 100,000-event memory run and the
200,000-message import dominate;
``--quick`` shrinks every size for a smoke run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL: list[list[str]] = [
    ["bench.ingest", "--events", "3000"],
    ["bench.digest_scale", "--items", "1000000"],
    ["bench.search", "--items", "1000000"],
    ["bench.slack_ack", "--seconds", "60"],
    ["bench.enrichment", "--links", "1000"],
    ["bench.enrich", "--concurrency", "16"],
    ["bench.memory", "--events", "100000"],
    ["bench.imports", "--messages", "200000"],
]
QUICK: list[list[str]] = [
    ["bench.ingest", "--events", "300"],
    ["bench.digest_scale", "--items", "20000"],
    ["bench.search", "--items", "20000"],
    ["bench.slack_ack", "--seconds", "5"],
    ["bench.enrichment", "--links", "200"],
    ["bench.enrich", "--links", "200", "--concurrency", "16"],
    ["bench.memory", "--events", "1000"],
    ["bench.imports", "--messages", "5000", "--compare", "2000"],
]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    args = parser.parse_args(argv)
    failed = []
    for module, *options in QUICK if args.quick else FULL:
        print(f"\n$ python -m {module} {' '.join(options)}", flush=True)
        # each in its own process: no benchmark inherits another's memory or warm caches
        done = subprocess.run([sys.executable, "-m", module, *options], cwd=ROOT, check=False)  # noqa: S603
        if done.returncode != 0:
            failed.append(module)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
