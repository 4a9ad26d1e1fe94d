"""The fleet: many desktops followed at once through one client, their health reported in batches.

::

    async with Fleet(client, max_streams=64) as fleet:
        fleet.set_targets(targets)          # FleetTarget per desktop (core.fleet_targets)
        fleet.set_priority(keys_on_screen)  # streamed first
        async for batch in fleet.changes(): # list[DesktopReport], latest per desktop
            ...

How it follows them:

* **SSE for the first ``max_streams``** by priority: the keys the consumer put first
  (:meth:`Fleet.set_priority`: those on screen), then those with trouble (unreachable,
  unhealthy, degraded), then the rest in target order. Each is a
  :class:`~core.status_feed.StatusFeed` (reconnects, back-off, falls back to polling when a
  proxy refuses SSE), consumed by one task. Streams go through the transport's pool of
  long-lived connections, so they never take the connections other calls need.
* **Polling the rest round-robin**: ``GET /api/status`` at most ``poll_concurrency`` at a
  time, each desktop every ``poll_interval`` seconds, stretched so that no more than
  ``max_poll_rate`` requests a second go out (1,000 desktops at 20 a second: every 50 s),
  evenly spaced. A desktop's first poll is not paced (only bounded by the slots), so
  every desktop has a status as soon as possible.
  A desktop that cannot be reached waits longer after each failure (doubling from the
  interval, up to ``max_backoff``, never less than the interval); one answer resets it.
* **Never blaming a desktop for a client-side limit.** A poll's time limit starts once it
  has its slot; a poll that waited for a connection of the client's own pool
  (:func:`~core.fleet_health.is_client_side`) leaves the desktop's health as it was and is
  tried again soon.
* **Batched reports.** Every change replaces the desktop's :class:`DesktopReport`; the
  consumer gets the latest report of each desktop that changed, at most every
  ``batch_interval`` seconds (a Textual screen updates its rows once per batch).
  Heartbeats that change nothing are not batched, only kept: :meth:`Fleet.reports` (and
  :meth:`Fleet.report`) is the whole picture at any moment, ``received_at`` included, for
  a screen that shows ages on its once-a-second tick.
* **The set of streams is rebalanced** when the targets or the priority change, and when a
  desktop's trouble starts or ends, at most once every ``rebalance_interval``.

A desktop whose target is not followable (a paused sandbox) has health ``unknown`` and its
target's ``reason``; nothing is sent to it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Self

from core.defaults import HEARTBEAT
from core.desktop import AsyncDesktopClient
from core.errors import Leap0Error
from core.fleet_health import (
    DesktopReport,
    Health,
    Pids,
    count_restarts,
    is_client_side,
    pids_of,
    reason_for,
)
from core.fleet_targets import FleetTarget
from core.models import DesktopProcessStatusList
from core.status_feed import FeedState, FeedUpdate, StatusFeed

__all__ = ["DesktopReport", "Fleet", "Health"]


@dataclass(slots=True, eq=False)
class _Desktop:
    """The fleet's own record of one desktop."""

    target: FleetTarget
    report: DesktopReport
    order: int
    pids: Pids | None = None
    stream: asyncio.Task[None] | None = None
    failures: int = 0
    generation: int = 0  # bumped when its poll schedule is dropped
    polling: bool = False
    recording_due: float = 0.0


class Fleet:
    """Follows many desktops through one :class:`~core.desktop.AsyncDesktopClient`.

    Use as an async context manager (the background tasks run inside it) and read
    :meth:`changes`. Timings are in seconds on ``clock`` (waits use the event loop's time):

    * ``max_streams``: desktops followed over SSE at once (the rest are polled);
    * ``poll_interval``: between two polls of one desktop, at least;
    * ``max_poll_rate``: polls a second at most, over all desktops;
    * ``poll_concurrency``: polls in flight at most (keep it under the transport's
      ``CALL_CONNECTIONS``, so the fleet never holds every connection the screen needs);
    * ``poll_timeout``: one poll's limit, counted once it has its slot;
    * ``max_backoff``: the longest wait between polls of an unreachable desktop (or the
      interval, when that is longer). Ten minutes: a desktop that cannot be reached is
      already shown on top with its reason, and streamed while on screen (so its return is
      seen at once there); off screen, its polls would take the budget of the desktops
      that answer (4,800 unreachable of 5,000 took all 20 polls a second);
    * ``recording_interval``: how often a streamed desktop's recording is checked
      (``GET /api/recording``, in a poll slot; ``None``: never). A polled desktop's
      ``recording`` stays as last known (checking 1,000 of them every 30 s would cost as
      much as polling them); the consumer reports its own changes with
      :meth:`note_recording`;
    * ``batch_interval``: the shortest time between two batches of :meth:`changes`;
    * ``heartbeat``: the desktops' heartbeat; a stream silent for three is reported
      unreachable ("no event for 6 s"), as :class:`~core.status_feed.StatusFeed` says;
    * ``rebalance_interval``: the shortest time between two choices of the streamed set.
    """

    def __init__(
        self,
        client: AsyncDesktopClient,
        *,
        max_streams: int = 64,
        poll_interval: float = 10.0,
        max_poll_rate: float = 20.0,
        poll_concurrency: int = 16,
        poll_timeout: float = 5.0,
        max_backoff: float = 600.0,
        recording_interval: float | None = 30.0,
        batch_interval: float = 0.1,
        heartbeat: float = HEARTBEAT,
        rebalance_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_streams < 0 or poll_concurrency < 1 or max_poll_rate <= 0:
            raise ValueError("max_streams >= 0, poll_concurrency >= 1, max_poll_rate > 0")
        self._client = client
        self._max_streams = max_streams
        self.poll_interval = poll_interval
        self.max_poll_rate = max_poll_rate
        self.poll_timeout = poll_timeout
        self.max_backoff = max_backoff
        self.recording_interval = recording_interval
        self.batch_interval = batch_interval
        self.heartbeat = heartbeat
        self.rebalance_interval = rebalance_interval
        self._clock = clock
        self._desktops: dict[str, _Desktop] = {}
        self._priority: tuple[str, ...] = ()
        self._order = itertools.count()
        self._slots = asyncio.Semaphore(poll_concurrency)
        self._queue: list[tuple[float, int, str, int]] = []  # (due, tie, key, generation)
        self._first: deque[tuple[str, int]] = deque()  # (key, generation): never polled yet
        self._tie = itertools.count()
        self._wake = asyncio.Event()
        self._pending: dict[str, DesktopReport] = {}
        self._changed = asyncio.Event()
        self._rebalance_due = True
        self._polled = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._closed = False

    # ── consumer API ──

    async def __aenter__(self) -> Self:
        self._runner = asyncio.create_task(self._run(), name="fleet")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop following every desktop and wait for the fleet's tasks to end."""
        self._closed = True
        self._changed.set()
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        tasks += [d.stream for d in self._desktops.values() if d.stream is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task

    def set_targets(self, targets: Iterable[FleetTarget]) -> None:
        """Follow exactly these desktops (keyed by ``FleetTarget.key``).

        New ones are reported at once (health ``unknown``, or the target's reason when it
        is not followable) and followed; gone ones stop being followed and are not
        reported again. A target whose reference or followability changed starts over.
        """
        wanted = {target.key: target for target in targets}
        for key in [k for k in self._desktops if k not in wanted]:
            self._drop(self._desktops.pop(key))
            self._pending.pop(key, None)
        for key, target in wanted.items():
            desktop = self._desktops.get(key)
            if desktop is not None and desktop.target == target:
                continue
            if desktop is not None:
                if desktop.target.ref == target.ref and desktop.target.followable == (
                    target.followable
                ):
                    desktop.target = target  # only the label or the row changed
                    continue
                self._drop(desktop)
            report = DesktopReport(key)
            if not target.followable:
                report = report.without_status(
                    Health.UNKNOWN, target.reason or "not followed", None
                )
            order = desktop.order if desktop is not None else next(self._order)
            self._desktops[key] = _Desktop(target, report, order)
            self._publish(key, report)
        self._rebalance_due = True
        self._wake.set()

    @property
    def max_streams(self) -> int:
        """Desktops followed over SSE at once; a new limit chooses the streamed set again
        (at the next rebalance)."""
        return self._max_streams

    @max_streams.setter
    def max_streams(self, limit: int) -> None:
        if limit < 0:
            raise ValueError("max_streams >= 0")
        if limit != self._max_streams:
            self._max_streams = limit
            self._rebalance_due = True
            self._wake.set()

    def set_priority(self, keys: Sequence[str]) -> None:
        """The desktops to stream first, in order (those on screen). Cheap to call on
        every scroll: the streamed set is chosen again at most every
        ``rebalance_interval``."""
        keys = tuple(keys)
        if keys != self._priority:
            self._priority = keys
            self._rebalance_due = True
            self._wake.set()

    def note_recording(self, key: str, active: bool) -> None:
        """Tell the fleet a desktop's recording started or stopped (the consumer did it)."""
        desktop = self._desktops.get(key)
        if desktop is not None and desktop.report.recording != active:
            self._set(desktop, replace(desktop.report, recording=active))

    def reports(self) -> dict[str, DesktopReport]:
        """The latest report of every desktop, by key."""
        return {key: desktop.report for key, desktop in self._desktops.items()}

    def report(self, key: str) -> DesktopReport | None:
        desktop = self._desktops.get(key)
        return desktop.report if desktop is not None else None

    @property
    def streamed(self) -> frozenset[str]:
        """The keys followed over SSE right now."""
        return frozenset(k for k, d in self._desktops.items() if d.stream is not None)

    async def changes(self) -> AsyncIterator[list[DesktopReport]]:
        """Batches of reports that changed: the latest of each desktop, in no set order.

        Ends when the fleet is closed. One consumer at a time: a batch goes to whoever
        iterates when it is ready.
        """
        while not self._closed:
            await self._changed.wait()
            if self._closed:
                return
            await asyncio.sleep(self.batch_interval)
            self._changed.clear()
            batch, self._pending = list(self._pending.values()), {}
            if batch:
                yield batch

    # ── reporting ──

    def _set(self, desktop: _Desktop, report: DesktopReport) -> None:
        key = desktop.target.key
        if self._desktops.get(key) is not desktop or report == desktop.report:
            return
        was_trouble = desktop.report.trouble
        desktop.report = report
        self._publish(key, report)
        if report.trouble != was_trouble:
            self._rebalance_due = True
            self._wake.set()

    def _publish(self, key: str, report: DesktopReport) -> None:
        self._pending[key] = report
        self._changed.set()

    def _status(self, desktop: _Desktop, status: DesktopProcessStatusList, via: str) -> None:
        pids = pids_of(status)
        restarts = count_restarts(desktop.pids, pids)
        desktop.pids = pids
        now = self._clock()
        report = desktop.report.with_status(status, now, via, restarts)
        # A heartbeat that changes nothing but received_at is kept, not published: the
        # consumer reads ages from reports() on its own tick, for the rows it shows.
        old = desktop.report
        if old.received_at is not None and replace(report, received_at=old.received_at) == old:
            desktop.report = report
            return
        self._set(desktop, report)

    # ── the loop: rebalancing and polling ──

    async def _run(self) -> None:
        last_rebalance = float("-inf")
        next_paced = float("-inf")  # the earliest start of the next paced poll
        while True:
            # Cleared before the state is read, not just before the wait: what asks for a
            # wake-up while this pass awaits a slot (a new priority, a poll's schedule) is
            # not lost (the wait below then returns at once).
            self._wake.clear()
            now = self._clock()
            if self._rebalance_due and now - last_rebalance >= self.rebalance_interval:
                self._rebalance_due = False
                last_rebalance = now
                self._rebalance()
            wait = self.rebalance_interval if self._rebalance_due else None
            # First statuses come as fast as the slots allow, ahead of every paced poll.
            while self._first:
                key, generation = self._first.popleft()
                desktop = self._desktops.get(key)
                if desktop is not None and desktop.generation == generation and desktop.polling:
                    await self._launch(desktop, generation)
            now = self._clock()
            while self._queue:
                due, _, key, generation = self._queue[0]
                desktop = self._desktops.get(key)
                if desktop is None or desktop.generation != generation or not desktop.polling:
                    heapq.heappop(self._queue)
                    continue
                due = max(due, next_paced)
                if due > now:
                    wait = due - now if wait is None else min(wait, due - now)
                    break
                heapq.heappop(self._queue)
                next_paced = max(now, next_paced) + 1.0 / self.max_poll_rate
                await self._launch(desktop, generation)
                now = self._clock()
                if self._first:
                    wait = 0.0  # desktops came meanwhile: their first polls go first
                    break
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _launch(self, desktop: _Desktop, generation: int) -> None:
        """Start one poll once a slot is free (bounded concurrency; its timer starts then)."""
        await self._slots.acquire()
        task = asyncio.create_task(self._poll(desktop, generation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _rebalance(self) -> None:
        """Choose the streamed set: priority keys, then trouble (worst first), then the rest."""
        followable = [d for d in self._desktops.values() if d.target.followable]
        chosen: list[_Desktop] = []
        seen: set[str] = set()
        for key in self._priority:
            desktop = self._desktops.get(key)
            if desktop is not None and desktop.target.followable and key not in seen:
                chosen.append(desktop)
                seen.add(key)
        rest = [d for d in followable if d.target.key not in seen]
        rest.sort(key=lambda d: (not d.report.trouble, d.report.health.severity, d.order))
        chosen.extend(rest)
        streamed = {d.target.key for d in chosen[: self._max_streams]}
        self._polled = len(followable) - len(streamed)
        for desktop in followable:
            if desktop.target.key in streamed:
                if desktop.stream is None:
                    desktop.polling = False
                    desktop.generation += 1
                    desktop.stream = asyncio.create_task(self._follow(desktop))
            else:
                if desktop.stream is not None:
                    desktop.stream.cancel()
                    desktop.stream = None
                if not desktop.polling:
                    desktop.polling = True
                    desktop.generation += 1
                    # First status at once; after a stream, one interval from its last.
                    if desktop.report.received_at is None and not desktop.failures:
                        self._first.append((desktop.target.key, desktop.generation))
                        self._wake.set()
                    else:
                        due = (desktop.report.received_at or self._clock()) + self._interval()
                        self._schedule(desktop, due)

    def _drop(self, desktop: _Desktop) -> None:
        desktop.generation += 1
        desktop.polling = False
        if desktop.stream is not None:
            desktop.stream.cancel()
            desktop.stream = None

    def _interval(self) -> float:
        """Seconds between two polls of one desktop, stretched to keep to ``max_poll_rate``
        (the count of polled desktops is taken at each rebalance)."""
        return max(self.poll_interval, self._polled / self.max_poll_rate)

    def _schedule(self, desktop: _Desktop, due: float) -> None:
        heapq.heappush(self._queue, (due, next(self._tie), desktop.target.key, desktop.generation))
        self._wake.set()

    async def _poll(self, desktop: _Desktop, generation: int) -> None:
        """One ``GET /api/status``; holds a slot until done."""
        try:
            interval = self._interval()
            try:
                status = await self._client.process_status(
                    desktop.target.ref, http_timeout=self.poll_timeout
                )
            except Leap0Error as exc:
                if desktop.generation != generation:
                    return
                if is_client_side(exc):
                    self._schedule(desktop, self._clock() + min(1.0, interval))
                    return
                desktop.failures += 1
                # Never sooner than a desktop that answers; doubling up to max_backoff.
                delay = min(max(self.max_backoff, interval), interval * 2 ** (desktop.failures - 1))
                self._set(
                    desktop,
                    desktop.report.without_status(
                        Health.UNREACHABLE, reason_for(exc, timeout=self.poll_timeout), "poll"
                    ),
                )
                self._schedule(desktop, self._clock() + delay)
                return
            if desktop.generation != generation:
                return
            desktop.failures = 0
            self._status(desktop, status, "poll")
            self._schedule(desktop, self._clock() + interval)
        finally:
            self._slots.release()

    async def _recording(self, desktop: _Desktop) -> None:
        """Check the desktop's recording when it is due (each ``recording_interval``)."""
        if self.recording_interval is None or self._clock() < desktop.recording_due:
            return
        desktop.recording_due = self._clock() + self.recording_interval
        try:
            recording = await self._client.recording_status(
                desktop.target.ref, http_timeout=self.poll_timeout
            )
        except Leap0Error:
            return  # the status says whether the desktop answers; this is only a detail
        if desktop.report.recording != recording.active:
            self._set(desktop, replace(desktop.report, recording=recording.active))

    # ── streams ──

    async def _follow(self, desktop: _Desktop) -> None:
        """Follow one desktop's :class:`StatusFeed` until cancelled (moved to polling)."""
        feed = StatusFeed(self._client, desktop.target.ref, heartbeat=self.heartbeat)
        checker: asyncio.Task[None] | None = None
        try:
            async with feed:
                async for update in feed:
                    self._feed_update(desktop, update, feed.stale_after)
                    if update.state is FeedState.LIVE and (checker is None or checker.done()):
                        checker = self._recording_check(desktop)
        finally:
            if checker is not None:
                checker.cancel()

    def _recording_check(self, desktop: _Desktop) -> asyncio.Task[None] | None:
        if self.recording_interval is None or self._clock() < desktop.recording_due:
            return None

        async def check() -> None:
            async with self._slots:
                await self._recording(desktop)

        return asyncio.create_task(check())

    def _feed_update(self, desktop: _Desktop, update: FeedUpdate, stale_after: float) -> None:
        if update.state is FeedState.LIVE and update.status is not None:
            self._status(desktop, update.status, "stream")
        elif update.state is FeedState.POLLING and update.status is not None:
            self._status(desktop, update.status, "poll")
        elif update.state is FeedState.STALE:
            reason = reason_for(None, silent_for=stale_after)
            self._set(desktop, desktop.report.without_status(Health.UNREACHABLE, reason, "stream"))
        elif update.state is FeedState.RECONNECTING:
            if update.error is not None and is_client_side(update.error):
                return
            if update.error is None and desktop.report.health is not Health.UNKNOWN:
                return  # a clean close (a proxy's idle limit): the next connection follows
            reason = reason_for(update.error)
            self._set(desktop, desktop.report.without_status(Health.UNREACHABLE, reason, "stream"))
