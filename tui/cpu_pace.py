"""CpuPace: how often a repeated job may come for the process to keep within a share of
one core.

Live mode asks for the next frame as soon as one is shown, up to the renderer's frames a
second. What a frame costs grows with the picture: Sixel at 99x31 cells of 10x20 is about
30 ms of CPU, at 1440x900 pixels about 50, and at 20 a second that is a whole core. The
preview measures the process's CPU from one frame to the next (everything the app did
meanwhile: the decoding threads, Textual, the HTTP client) and leaves at least that cost
divided by the share of a core it may have between frames. No Textual here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["CpuPace"]


class CpuPace:
    """The process's CPU per job, smoothed, and the interval that keeps it within a share of
    one core. ``cpu`` is the process's CPU clock (seconds, all threads)."""

    def __init__(
        self, *, smoothing: float = 0.2, cpu: Callable[[], float] = time.process_time
    ) -> None:
        self._smoothing = smoothing
        self._cpu = cpu
        self._last: float | None = None
        self.cost: float | None = None
        """CPU seconds a job costs (an exponential average), ``None`` before two jobs."""

    def done(self) -> None:
        """A job ended: the process's CPU since the one before is what this one cost."""
        now = self._cpu()
        if self._last is not None:
            spent = max(0.0, now - self._last)
            self.cost = (
                spent if self.cost is None else self.cost + self._smoothing * (spent - self.cost)
            )
        self._last = now

    def pause(self) -> None:
        """Jobs stopped for a while: the CPU until the next one is not that job's cost."""
        self._last = None

    def interval(self, share: float) -> float:
        """Seconds from one job to the next that keep the process within ``share`` of a
        core."""
        return 0.0 if self.cost is None else self.cost / share
