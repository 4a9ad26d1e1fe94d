"""The account's sandboxes, listed again and again: page by page, paced by how long a listing
takes, the last rows kept when the control plane fails.

::

    watch = SandboxWatch(transport)
    async for update in watch.updates():     # a Textual worker
        show(update.rows, update.progress, update.age(now), update.error)

* **First rows at once.** Each page of a walk is an update (``progress`` ``"page 12/50"``);
  during later walks the rows on screen are the last listing's, refreshed by each page, so
  the screen never empties and refills.
* **Paced by the control plane.** The next listing starts ``interval_factor`` times the
  last one's duration later, and no sooner than its pages at ``max_page_rate`` a second
  (a large account's pages, however fast they come, average a few requests a second),
  within ``[min_interval, max_interval]``, and ``slow_factor``
  times that (up to ``max_interval``) while :meth:`SandboxWatch.set_slow` says the fleet is
  not on screen; back on screen, a listing due by the usual pace starts at once. A failed
  listing doubles the wait, up to ``max_interval``. :meth:`SandboxWatch.refresh` starts
  one now, or right after the one in progress.
* **401/403 is one error**, said once (``refused``); no listing is tried again before
  ``max_interval`` or :meth:`SandboxWatch.refresh`.
* **A down or slow control plane keeps the last rows**, with ``listed_at`` (their age) and
  the error; ``stale`` is true until a listing completes again.
* **Sandboxes deleted mid-walk do not drop others** (:func:`core.sandboxes.walk_sandboxes`);
  when a walk was disturbed, rows of the previous listing it did not see are kept one more
  listing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from core.errors import Leap0AuthError, Leap0Error
from core.sandboxes import SandboxSummary, walk_sandboxes
from core.transport import AsyncTransport

__all__ = ["ListingUpdate", "SandboxWatch"]


@dataclass(frozen=True, slots=True)
class ListingUpdate:
    """What the watcher knows after a page, a listing, or a failure.

    ``rows``: the sandboxes to show, newest first as listed. ``progress``: ``"page 12/50"``
    while a listing runs, ``None`` between listings. ``listed_at``: when the last complete
    listing ended, on the watcher's clock (``None`` before the first). ``error``: one line
    when the last listing failed (``None`` otherwise); ``refused``: that error was a
    401/403. ``next_in``: seconds until the next listing, between listings.
    """

    rows: tuple[SandboxSummary, ...]
    progress: str | None
    listed_at: float | None
    error: str | None = None
    refused: bool = False
    next_in: float | None = None

    @property
    def listing(self) -> bool:
        return self.progress is not None

    @property
    def stale(self) -> bool:
        """The rows are from before the last (failed) listing."""
        return self.error is not None

    def age(self, now: float) -> float | None:
        """Seconds since the rows were listed (``now`` on the watcher's clock)."""
        return None if self.listed_at is None else max(0.0, now - self.listed_at)


class SandboxWatch:
    """Lists the account's sandboxes for as long as :meth:`updates` is iterated.

    Timings in seconds on ``clock``; waits use the event loop's time.
    """

    def __init__(
        self,
        transport: AsyncTransport,
        *,
        page_size: int = 100,
        min_interval: float = 10.0,
        interval_factor: float = 20.0,
        max_interval: float = 300.0,
        slow_factor: float = 30.0,
        max_page_rate: float = 2.0,
        http_timeout: float | None = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self.page_size = page_size
        self.min_interval = min_interval
        self.interval_factor = interval_factor
        self.max_interval = max_interval
        self.slow_factor = slow_factor
        self.max_page_rate = max_page_rate
        self.http_timeout = http_timeout
        self._clock = clock
        self._slow = False
        self._wanted = asyncio.Event()
        self._repaced = asyncio.Event()
        self._rows: tuple[SandboxSummary, ...] = ()
        self._listed_at: float | None = None
        self.last_duration: float | None = None
        """Seconds the last complete listing took."""
        self.last_pages = 1
        """Pages the last complete listing read."""

    def refresh(self) -> None:
        """List again now, or right after the listing in progress (ctrl+r)."""
        self._wanted.set()

    def set_slow(self, slow: bool) -> None:
        """Whether to list less often (the fleet is behind a desktop screen). Takes effect
        at once: back on screen, a listing that is due by the usual pace starts now."""
        if slow != self._slow:
            self._slow = slow
            self._repaced.set()

    def interval_after(self, duration: float, pages: int = 1) -> float:
        """The wait after a listing of ``pages`` pages that took ``duration`` seconds (on
        screen)."""
        wait = max(self.min_interval, self.interval_factor * duration, pages / self.max_page_rate)
        return min(self.max_interval, wait)

    def paced(self, wait: float) -> float:
        """``wait`` as it is while on screen, ``slow_factor`` times longer (up to
        ``max_interval``) while slow."""
        return max(wait, min(self.max_interval, wait * self.slow_factor)) if self._slow else wait

    async def updates(self) -> AsyncIterator[ListingUpdate]:
        """Listings forever: an update per page, and one when a listing ends or fails."""
        failures = 0
        while True:
            self._wanted.clear()
            started = self._clock()
            error: Leap0Error | None = None
            try:
                async for update in self._walk():
                    yield update
            except Leap0Error as exc:
                error = exc
            if error is None:
                failures = 0
                self.last_duration = self._clock() - started
                wait = self.interval_after(self.last_duration, self.last_pages)
            elif isinstance(error, Leap0AuthError):
                wait = self.max_interval
            else:
                failures += 1
                base = self.interval_after(self._clock() - started, self.last_pages)
                wait = min(self.max_interval, base * 2.0 ** (failures - 1))
            ended = self._clock()
            yield ListingUpdate(
                self._rows,
                None,
                self._listed_at,
                error=_one_line(error),
                refused=isinstance(error, Leap0AuthError),
                next_in=0.0 if self._wanted.is_set() else self.paced(wait),
            )
            await self._until_due(ended, wait)

    async def _until_due(self, ended: float, wait: float) -> None:
        """Until ``wait`` (paced: :meth:`paced`) after ``ended``, or a listing is wanted; a
        change of pace (:meth:`set_slow`) counts from ``ended`` again."""
        while not self._wanted.is_set():
            left = ended + self.paced(wait) - self._clock()
            if left <= 0:
                return
            self._repaced.clear()
            waits = [
                asyncio.ensure_future(self._wanted.wait()),
                asyncio.ensure_future(self._repaced.wait()),
            ]
            try:
                await asyncio.wait(waits, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()

    async def _walk(self) -> AsyncIterator[ListingUpdate]:
        previous = self._rows
        shown = {s.id: s for s in previous}
        async for page in walk_sandboxes(
            self._transport, page_size=self.page_size, http_timeout=self.http_timeout
        ):
            if not page.last:
                if self._listed_at is None:
                    rows = page.rows  # the first listing: what has come so far
                else:
                    shown.update((s.id, s) for s in page.fresh)
                    rows = tuple(shown.values())
                yield ListingUpdate(rows, page.progress, self._listed_at)
                continue
            rows = page.rows
            if page.disturbed:
                seen = {s.id for s in rows}
                rows += tuple(s for s in previous if s.id not in seen)
            self._rows, self._listed_at = rows, self._clock()
            self.last_pages = page.page
            yield ListingUpdate(rows, page.progress, self._listed_at)


def _one_line(error: Leap0Error | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, Leap0AuthError):
        return f"the control plane refused the API key ({' '.join(str(error).split())})"
    return " ".join(str(error).split())
