"""Time as the dashboard shows it: one seam, so tests can freeze what is on screen.

Widgets read the clock through this module (``clock.wall()``, ``clock.monotonic()``),
never through :mod:`time` directly, and format ages with :func:`age_text`. A snapshot test
replaces the two functions with constants and every age and "since" column stands still.

Ages on screen tick through :func:`every_second`: one timer per app, not one per widget, so
every age changes in the same frame (one repaint a second, not one per pane, each at its
own phase). Measured, the idle figure hardly moved: an idle dashboard's CPU is spread over
the status stream and the pollers (``benchmarks/tui_idle.py``).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from datetime import datetime

from textual.app import App
from textual.widget import Widget

__all__ = ["age_text", "clock_text", "every_second", "monotonic", "wall"]


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


class _SecondTick:
    """The once-a-second timer of one app, and what it calls."""

    def __init__(self, app: App[object]) -> None:
        self._calls: list[tuple[weakref.ref[Widget], Callable[[], None]]] = []
        self._timer = app.set_interval(1.0, self._tick, name="every second")

    def add(self, widget: Widget, callback: Callable[[], None]) -> None:
        self._calls.append((weakref.ref(widget), callback))

    def _tick(self) -> None:
        keep = []
        for ref, callback in self._calls:
            widget = ref()
            if widget is None or not widget.is_running:
                continue  # removed (its message pump has stopped): forget it
            keep.append((ref, callback))
            callback()
        self._calls = keep


_ticks: weakref.WeakKeyDictionary[App[object], _SecondTick] = weakref.WeakKeyDictionary()


def every_second(widget: Widget, callback: Callable[[], None]) -> None:
    """Call ``callback`` once a second, in step with every other age, while ``widget`` lives.

    Call from ``on_mount``. The call stops when the widget is removed.
    """
    app = widget.app
    tick = _ticks.get(app)
    if tick is None:
        tick = _ticks[app] = _SecondTick(app)
    tick.add(widget, callback)
