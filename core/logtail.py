"""Reading the end of a log file, for the host's log routes and for one-line reasons.

No I/O but the one file read; nothing raised: a file that cannot be read has no tail.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["last_lines", "read_tail"]


def read_tail(path: Path, limit: int) -> str:
    """The last ``limit`` bytes of ``path`` from the first whole line on (the whole file
    when it is shorter), decoded with replacement; ``""`` when it cannot be read."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            data = f.read()
    except OSError:
        return ""
    if size > limit:
        _, _, data = data.partition(b"\n")
    return data.decode(errors="replace")


def last_lines(
    path: Path, count: int, *, skip: Iterable[str] = (), window: int = 4096
) -> list[str]:
    """The last ``count`` non-blank lines among the last ``window`` bytes of ``path``,
    stripped, leaving out lines that start with any of ``skip`` (notes written around the
    program's own output)."""
    prefixes = tuple(skip)
    lines = [ln.strip() for ln in read_tail(path, window).splitlines()]
    kept = [ln for ln in lines if ln and not (prefixes and ln.startswith(prefixes))]
    return kept[-count:] if count > 0 else []
