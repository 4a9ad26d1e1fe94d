"""Time as the dashboard shows it: one seam, so tests can freeze what is on screen.

Widgets read the clock through this module (``clock.wall()``, ``clock.monotonic()``),
never through :mod:`time` directly, and format ages with :func:`age_text`. A snapshot test
replaces the two functions with constants and every age and "since" column stands still.
"""

from __future__ import annotations

import time
from datetime import datetime

__all__ = ["age_text", "clock_text", "monotonic", "wall"]


def wall() -> float:
    """Seconds since the epoch (what a clock on the wall says)."""
    return time.time()


def monotonic() -> float:
    """Seconds on a clock that never jumps, for ages and countdowns."""
    return time.monotonic()


def age_text(seconds: float) -> str:
    """A short age for a status line: ``"0 s"``, ``"42 s"``, ``"3 min"``, ``"2 h"``, ``"4 d"``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def clock_text(epoch_seconds: float) -> str:
    """Local time of day, ``HH:MM:SS``, for "since when" columns."""
    return datetime.fromtimestamp(epoch_seconds).strftime("%H:%M:%S")
