"""The figures every benchmark prints the same way: a percentile, a process's RSS.

Benchmarks run as scripts (``./dev bench NAME``), so this folder is on ``sys.path`` and
they import it as ``figures``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

__all__ = ["percentile", "print_latencies", "rss_kib", "rss_mb"]


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``: the nearest of them, no interpolation."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def print_latencies(rows: Sequence[tuple[str, list[float]]], width: int) -> None:
    """A table of latencies (ms): p50, p95, max and mean of each named row."""
    print(f"{'':{width}}{'p50':>8}{'p95':>8}{'max':>8}{'mean':>8}")
    for name, values in rows:
        print(
            f"{name:{width}}{statistics.median(values):8.1f}{percentile(values, 95):8.1f}"
            f"{max(values):8.1f}{statistics.fmean(values):8.1f}"
        )


def rss_kib(pid: int | str = "self") -> int:
    """The resident memory of process ``pid`` (default: this one), in KiB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def rss_mb(pid: int | str = "self") -> float:
    """As :func:`rss_kib`, in MiB; ``nan`` for a process that is gone."""
    try:
        return rss_kib(pid) / 1024
    except (OSError, RuntimeError):
        return float("nan")
