"""Keeping a big, settled heap out of the cyclic garbage collector's full walks.

At 5,000 sandboxes the fleet holds hundreds of thousands of objects (targets, reports,
rows) that barely change, and every full collection walks them all: about 100 ms, once a
minute on screen, a stall each time. :class:`SettledHeap` freezes the heap (``gc.freeze``)
right after each full collection, when no garbage is left in it to freeze, so the next
full collections walk only what was made since. Objects that die by their reference count
are freed as ever; only cycles that die among the frozen objects wait, until the heap is
thawed, and the next full collection walks it all again: 130-150 ms at 5,000 sandboxes, a
pause the user sees if it comes while they watch. So the thaw comes when its owner says
so (a screen change, where the switch takes longer anyway), and once it is due
(``thaw_every`` after the first freeze) when the user cannot see the app (its terminal lost
the focus); only past ``thaw_at_most`` whatever the user does. No Textual here.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

__all__ = ["SettledHeap"]


class SettledHeap:
    """Freezes the process's heap after each full collection while started."""

    def __init__(
        self,
        thaw_every: float = 300.0,
        thaw_at_most: float = 1800.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.thaw_every = thaw_every
        self.thaw_at_most = thaw_at_most
        self._clock = clock
        self._frozen_at: float | None = None
        self._started = False

    def start(self) -> None:
        """Freeze what there is now (the app's start-up: modules, classes, styles), and after
        each full collection from then on. Without the first freeze, the first full
        collection walked the whole start-up heap: 70-80 ms at once, during the first
        listing."""
        if not self._started:
            self._started = True
            gc.callbacks.append(self._collected)
            self.freeze()

    def stop(self) -> None:
        """No more freezing, and nothing stays frozen."""
        if self._started:
            self._started = False
            gc.callbacks.remove(self._collected)
        self.thaw()

    def freeze(self) -> None:
        """Freeze everything now (what is garbage now waits for :meth:`thaw`). The thaw
        stays due ``thaw_every`` after the first freeze: freezing again does not put it
        off."""
        gc.freeze()
        if self._frozen_at is None:
            self._frozen_at = self._clock()

    def thaw(self) -> None:
        """Give every frozen object back to the collector."""
        gc.unfreeze()
        self._frozen_at = None

    def tick(self, unseen: bool = False) -> None:
        """Thaw when the heap has been frozen ``thaw_every`` seconds and the user cannot
        see the app (``unseen``), or ``thaw_at_most`` seconds; call it now and then, and
        when the app goes out of sight."""
        if self._frozen_at is None:
            return
        frozen_for = self._clock() - self._frozen_at
        if frozen_for >= self.thaw_at_most or (unseen and frozen_for >= self.thaw_every):
            self.thaw()

    def _collected(self, phase: str, info: dict[str, Any]) -> None:
        # Right after a full collection nothing in the heap is garbage: what survived it
        # joins the frozen part.
        if phase == "stop" and info.get("generation") == 2:
            self.freeze()
