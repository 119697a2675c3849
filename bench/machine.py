"""The machine a figure was measured on, printed with every benchmark."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def describe() -> str:
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), Python {sys.version.split()[0]}, "
        f"{platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.1f} "
        "(the machine is shared: figures vary with the load)"
    )


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 12,000 samples is the 11,880th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident set size now (``VmRSS``) or at its peak (``VmHWM``), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise ProcessLookupError(pid)


def interleaved_medians(
    commands: Mapping[str, Sequence[str]], repeat: int, env: Mapping[str, str] | None = None
) -> dict[str, float]:
    """Median wall time of each command, run in turn ``repeat`` times (A B A B …), so a change
    in the shared machine's load hits every command alike. Output goes to /dev/null."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(  # noqa: S603 - our interpreter and modules
                command, stdout=subprocess.DEVNULL, check=True, env=dict(env or os.environ)
            )
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}
