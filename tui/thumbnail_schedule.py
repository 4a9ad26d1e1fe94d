"""Which thumbnails of the fleet's grid to fetch now: no Textual, no I/O, so it is tested alone.

The grid (:mod:`tui.widgets.fleet_grid`) tells :class:`ThumbnailSchedule` which tiles are on
screen (:meth:`~ThumbnailSchedule.set_visible`) and asks which to fetch
(:meth:`~ThumbnailSchedule.due`); each fetch ends with :meth:`~ThumbnailSchedule.done`.

* Only the tiles on screen are fetched: a tile that leaves is forgotten (a fetch of it in
  flight is named, for the caller to cancel) and fetched at once when it comes back.
* At most ``concurrency`` fetches at a time; a tile never has two.
* Each tile every ``interval`` seconds, counted from the start of its last fetch; a tile
  whose fetch failed waits twice as long after each failure (up to ``max_backoff``, never
  less than the interval), and one success ends that.
* The tile due longest ago goes first; among tiles never fetched, the one higher on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CONCURRENCY",
    "DEFAULT_INTERVAL",
    "INTERVALS",
    "MAX_BACKOFF",
    "ThumbnailSchedule",
    "step_interval",
]

INTERVALS: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)
"""Seconds between two fetches of one tile that ``+`` and ``-`` step through."""

DEFAULT_INTERVAL = 3.0
"""Seconds between two fetches of one tile at first."""

CONCURRENCY = 3
"""Screenshots in flight at most, over the whole grid."""

MAX_BACKOFF = 60.0
"""The longest wait, in seconds, before fetching again a tile whose fetches fail."""


def step_interval(interval: float, faster: bool) -> float:
    """The next interval of :data:`INTERVALS` shorter (``faster``) or longer than
    ``interval``; the shortest or the longest stays as it is."""
    if faster:
        shorter = [s for s in INTERVALS if s < interval - 1e-9]
        return shorter[-1] if shorter else INTERVALS[0]
    longer = [s for s in INTERVALS if s > interval + 1e-9]
    return longer[0] if longer else INTERVALS[-1]


@dataclass(slots=True)
class _Tile:
    position: int
    started: float | None = None
    """When its last fetch started (``None``: never fetched since it came on screen)."""
    failures: int = 0


class ThumbnailSchedule:
    """When each tile on screen is fetched next. Times are seconds on any monotonic clock,
    given by the caller."""

    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL,
        *,
        concurrency: int = CONCURRENCY,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        if interval <= 0 or concurrency < 1:
            raise ValueError("interval > 0 and concurrency >= 1")
        self.interval = interval
        """Seconds between two fetches of one tile (changing it applies at once)."""
        self.concurrency = concurrency
        self.max_backoff = max_backoff
        self._tiles: dict[str, _Tile] = {}
        self._busy: set[str] = set()

    @property
    def busy(self) -> frozenset[str]:
        """The tiles being fetched now."""
        return frozenset(self._busy)

    @property
    def visible(self) -> list[str]:
        """The tiles on screen, as last told."""
        return list(self._tiles)

    def set_visible(self, keys: Iterable[str]) -> list[str]:
        """The tiles on screen now, top to bottom, that may be fetched.

        Returns the tiles being fetched that are no longer among them: the caller cancels
        those fetches (their :meth:`done` is then ignored).
        """
        tiles: dict[str, _Tile] = {}
        for position, key in enumerate(keys):
            if key in tiles:
                continue
            tile = self._tiles.get(key) or _Tile(position)
            tile.position = position
            tiles[key] = tile
        self._tiles = tiles
        left = sorted(self._busy - tiles.keys())
        self._busy -= set(left)
        return left

    def again(self, key: str) -> None:
        """Fetch ``key`` as soon as a slot is free (its desktop came back, say)."""
        tile = self._tiles.get(key)
        if tile is not None:
            tile.started = None
            tile.failures = 0

    def due(self, now: float) -> list[str]:
        """The tiles to fetch now, as many as there are free slots; they count as being
        fetched until :meth:`done`."""
        free = self.concurrency - len(self._busy)
        if free <= 0:
            return []
        ready = [
            (at, tile.position, key)
            for key, tile in self._tiles.items()
            if key not in self._busy and (at := self._due_at(tile, now)) <= now
        ]
        ready.sort()
        chosen = [key for _, _, key in ready[:free]]
        for key in chosen:
            self._tiles[key].started = now
            self._busy.add(key)
        return chosen

    def done(self, key: str, *, ok: bool) -> None:
        """The fetch of ``key`` ended, well or not."""
        if key not in self._busy:
            return  # it left the screen meanwhile
        self._busy.discard(key)
        tile = self._tiles.get(key)
        if tile is not None:
            tile.failures = 0 if ok else tile.failures + 1

    def wait(self, now: float) -> float | None:
        """Seconds until the next tile is due (0: now); ``None`` when nothing can be due
        before a fetch ends or the tiles change (no tile, or no free slot)."""
        if len(self._busy) >= self.concurrency:
            return None
        waits = [
            self._due_at(tile, now) - now
            for key, tile in self._tiles.items()
            if key not in self._busy
        ]
        return max(0.0, min(waits)) if waits else None

    def _due_at(self, tile: _Tile, now: float) -> float:
        if tile.started is None:
            return now - 1e9 + tile.position  # never fetched: before any other, in order
        delay = self.interval
        if tile.failures:
            delay = min(max(self.max_backoff, self.interval), self.interval * 2**tile.failures)
        return tile.started + delay
