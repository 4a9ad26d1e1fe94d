"""The dashboard's process-status feed: the SSE status stream, kept alive.

``AsyncDesktopClient.status_stream`` follows one connection: it ends when the server closes
it and raises when it breaks. :class:`StatusFeed` turns that into a feed that lasts as long
as its consumer wants it, and says at every moment how much to trust what it shows::

    connecting ──event──▶ live ◀──────────event────────────┐
        │                  │ no event for stale_after       │
        │                  ▼                                │
        │                stale ─────────────────────────────┘
        │                  │ the stream ends, breaks, stays silent past read_timeout,
        ▼                  ▼ or sends ``event: error``
    reconnecting (retry_in s) ──▶ a new connection; ``live`` again on its first event
        │ the stream route is missing (404/405/501), or backoff.attempts connections
        │ in a row brought no event, and GET /api/status answers
        ▼
    polling: GET /api/status every poll_interval; SSE tried again every sse_retry_interval

Why it works this way:

* **One async generator, run by the consumer's task.** ``async for update in feed`` in a
  Textual worker is the whole lifecycle: nothing runs while nobody iterates, cancelling the
  worker cancels the feed, and no background task outlives its consumer. Each connection is
  read by one child task feeding a queue, so waiting for the next event with a time limit
  (to notice staleness) never cancels a read half-way.
* **Stale before dead.** The desktop sends an event at least every ``heartbeat`` (2 s). After
  three missed heartbeats (``stale_after``, 6 s) the feed says ``stale`` but keeps the
  connection, since a slow network may still deliver; after ``read_timeout`` (5 heartbeats,
  10 s) the stream counts as dead and is replaced. ``stale`` describes a connected feed;
  while ``reconnecting`` or ``polling``, ``received_at`` tells the consumer how old the data
  is.
* **Back-off with jitter, reset by success.** Reconnection waits grow exponentially
  (:class:`~core.transport.RetryPolicy`, jittered so many dashboards do not reconnect in
  lock-step) and start over once a connection delivered an event, so a routine close (a
  proxy's idle limit) costs half a second, not the last back-off.
* **Polling only when SSE is what fails.** Some proxies refuse or buffer event streams. The
  feed polls only when a plain GET works while the stream does not; if the GET fails too,
  the desktop itself is unreachable and the feed keeps reconnecting (alternating stream and
  GET). While polling it tries the stream again every ``sse_retry_interval``.
* **Errors that retrying cannot fix are not retried in a tight loop.** 401/403 (token), a
  404 from GET /api/status (no such desktop) and a 400 wait ``error_backoff`` (30 s) between
  tries, with the error in every update, so the dashboard shows it and recovers by itself
  once the token or desktop is back.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import time
from collections.abc import AsyncGenerator, Callable, Coroutine
from contextlib import aclosing, suppress
from dataclasses import dataclass
from typing import Any, Self

from core.defaults import HEARTBEAT
from core.desktop import AsyncDesktopClient
from core.errors import (
    Leap0APIError,
    Leap0AuthError,
    Leap0Error,
    Leap0NotFoundError,
    Leap0ValidationError,
    retry_after_of,
)
from core.models import DesktopProcessStatusList
from core.references import SandboxRef
from core.transport import RetryPolicy

__all__ = ["DEFAULT_BACKOFF", "FeedState", "FeedUpdate", "StatusFeed"]

DEFAULT_BACKOFF = RetryPolicy(attempts=3, base_delay=0.5, max_delay=15.0)
"""Reconnection waits: 0.5 s, 1 s, 2 s ... up to 15 s; polling after 3 fruitless tries."""

_SSE_MISSING = frozenset({404, 405, 501})
"""Statuses of the stream route that mean "no SSE here", not "no desktop here"."""


class FeedState(enum.StrEnum):
    """How far the dashboard can trust the status it shows (values double as CSS classes)."""

    CONNECTING = "connecting"
    """No status yet; the first connection is being made."""
    LIVE = "live"
    """The stream delivers events."""
    RECONNECTING = "reconnecting"
    """The last connection ended or failed; ``retry_in`` says when the next try starts."""
    POLLING = "polling"
    """The stream is unavailable; statuses come from GET /api/status every few seconds."""
    STALE = "stale"
    """Connected, but no event came for ``stale_after`` seconds."""


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """One report from a :class:`StatusFeed`: its state and the latest status.

    ``status`` is the latest status received (``None`` until the first) and stays while the
    feed reconnects; ``received_at`` is when it arrived, on the feed's clock
    (``time.monotonic()`` unless injected). ``retry_in`` is set while ``reconnecting``:
    seconds from this update until the next try (the consumer counts down). ``error`` is
    the failure behind a ``reconnecting`` or ``polling`` state, ``None`` otherwise and after
    a clean close by the server.
    """

    state: FeedState
    status: DesktopProcessStatusList | None
    received_at: float | None
    retry_in: float | None = None
    error: Leap0Error | None = None

    @property
    def error_text(self) -> str | None:
        """``error`` as one line, for a status bar."""
        return " ".join(str(self.error).split()) if self.error is not None else None


class _Signal(enum.Enum):
    END = "the stream ended"
    TIMEOUT = "the wait timed out"
    CLOSED = "the feed was closed"


type _Item = DesktopProcessStatusList | BaseException | _Signal


def _needs_patience(error: Leap0Error | None) -> bool:
    """Errors a quick retry cannot fix: a token refused (401/403), a request refused (400)."""
    return isinstance(error, Leap0AuthError | Leap0ValidationError)


def _sse_missing(error: Leap0Error | None) -> bool:
    return isinstance(error, Leap0APIError) and error.status_code in _SSE_MISSING


class StatusFeed:
    """The resilient status feed of one desktop: ``async for update in feed`` forever.

    Yields a :class:`FeedUpdate` on every status event (the desktop sends one at least every
    heartbeat, changed or not) and on every change of state; iteration ends only when the
    feed is closed (:meth:`close`, :meth:`aclose`, leaving ``async with``) or the consuming
    task is cancelled. A feed is iterated once. Errors from the desktop never end the
    iteration: they appear as ``FeedUpdate.error``; anything else (a bug) propagates.

    Timings are in seconds on ``clock`` (for tests: small values and a fake clock); waits use
    the event loop's time, so ``clock`` must advance like ``time.monotonic``:

    * ``heartbeat``: how often the desktop sends an event (2 s on Leap0 and the local host);
    * ``stale_after``: silence before ``stale`` (default three heartbeats);
    * ``read_timeout``: silence before the stream counts as dead (default five heartbeats);
      also the timeout of each poll;
    * ``poll_interval``: between polls of GET /api/status (default one heartbeat);
    * ``backoff``: waits between reconnections; its ``attempts`` is how many connections in a
      row may bring no event before the feed tries polling;
    * ``error_backoff``: the wait after an error a quick retry cannot fix (401/403, 400, the
      desktop not found);
    * ``sse_retry_interval``: while polling, how often the stream is tried again (a try that
      hangs holds the polls for up to ``read_timeout``).

    Raises :class:`~core.errors.Leap0ValidationError` at once for a malformed ``sandbox``.
    """

    def __init__(
        self,
        client: AsyncDesktopClient,
        sandbox: SandboxRef,
        *,
        heartbeat: float = HEARTBEAT,
        stale_after: float | None = None,
        read_timeout: float | None = None,
        poll_interval: float | None = None,
        backoff: RetryPolicy = DEFAULT_BACKOFF,
        error_backoff: float = 30.0,
        sse_retry_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        client.endpoint(sandbox)  # refuse a malformed reference now, not in the loop
        self._client = client
        self._sandbox = sandbox
        self.stale_after = 3 * heartbeat if stale_after is None else stale_after
        self.read_timeout = 5 * heartbeat if read_timeout is None else read_timeout
        self.poll_interval = heartbeat if poll_interval is None else poll_interval
        self.backoff = backoff
        self.error_backoff = error_backoff
        self.sse_retry_interval = sse_retry_interval
        self._clock = clock
        self._closed = asyncio.Event()
        self._updates: AsyncGenerator[FeedUpdate, None] | None = None
        self._state = FeedState.CONNECTING
        self._status: DesktopProcessStatusList | None = None
        self._received_at: float | None = None
        # What the last connection did: whether it brought an event, and why it ended.
        self._delivered = False
        self._ended_by: Leap0Error | None = None

    # ── consumer API ──

    @property
    def state(self) -> FeedState:
        """The state of the latest update."""
        return self._state

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def __aiter__(self) -> AsyncGenerator[FeedUpdate, None]:
        if self._updates is None:
            self._updates = self._run()
        return self._updates

    def close(self) -> None:
        """Stop the feed: the iteration ends at its next wait. Safe to call more than once."""
        self._closed.set()

    async def aclose(self) -> None:
        """Stop the feed and, unless another task is iterating right now, close its connection."""
        self.close()
        updates = self._updates
        if updates is not None and inspect.getasyncgenstate(updates) != inspect.AGEN_RUNNING:
            await updates.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ── the state machine ──

    async def _run(self) -> AsyncGenerator[FeedUpdate, None]:
        """The feed's updates. Each turn either follows one stream connection (streaming, or
        a due probe while polling) and decides what its end means, or makes one poll."""
        yield self._update(FeedState.CONNECTING)
        fruitless = 0  # connections in a row that brought no event
        next_probe: float | None = None  # set while polling: when to try the stream again
        polling_because: Leap0Error | None = None
        while not self.closed:
            if next_probe is None or self._clock() >= next_probe:
                probing = next_probe is not None  # a quiet try of the stream while polling
                async with aclosing(self._connection()) as updates:
                    async for update in updates:
                        yield update
                if self.closed:
                    return
                error = self._ended_by
                fruitless = 0 if self._delivered else fruitless + 1
                if self._delivered or not probing:
                    next_probe = None
                    if self._delivered or not self._stream_unavailable(error, fruitless):
                        delay = self._delay_after(error, fruitless)
                        yield self._update(FeedState.RECONNECTING, delay, error)
                        await self._sleep(delay)
                        continue
                    polling_because = error  # the stream fails: see whether GETs work
                next_probe = self._clock() + self.sse_retry_interval
            try:
                status = await self._race(
                    self._client.process_status(self._sandbox, http_timeout=self.read_timeout)
                )
            except Leap0Error as exc:
                # A GET fails too: the desktop, not its stream, is the problem. Reconnect.
                next_probe = None
                missing = isinstance(exc, Leap0NotFoundError)  # no such desktop
                delay = self.error_backoff if missing else self._delay_after(exc, fruitless)
                yield self._update(FeedState.RECONNECTING, delay, exc)
                await self._sleep(delay)
                continue
            if isinstance(status, _Signal):  # closed meanwhile
                return
            self._status, self._received_at = status, self._clock()
            yield self._update(FeedState.POLLING, error=polling_because)
            await self._sleep(self.poll_interval)

    async def _connection(self) -> AsyncGenerator[FeedUpdate, None]:
        """Follow one stream connection, yielding ``live`` and ``stale`` updates.

        Leaves in ``_delivered`` whether an event came and in ``_ended_by`` the error that
        ended it (``None`` for a clean close by the server, or when the feed was closed).
        """
        self._delivered, self._ended_by = False, None
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        reader = asyncio.create_task(self._read_stream(queue))
        try:
            while True:
                timeout = None
                if self._state is FeedState.LIVE and self._received_at is not None:
                    timeout = max(0.0, self._received_at + self.stale_after - self._clock())
                item = await self._race(queue.get(), timeout)
                if item is _Signal.TIMEOUT:
                    yield self._update(FeedState.STALE)
                    continue
                if isinstance(item, _Signal):  # END or CLOSED
                    return
                if isinstance(item, Leap0Error):
                    self._ended_by = item
                    return
                if isinstance(item, BaseException):
                    raise item
                self._delivered = True
                self._status, self._received_at = item, self._clock()
                yield self._update(FeedState.LIVE)
        finally:
            reader.cancel()
            with suppress(asyncio.CancelledError):
                await reader

    async def _read_stream(self, queue: asyncio.Queue[_Item]) -> None:
        """Put each event of one connection into ``queue``, then END or what ended it."""
        try:
            stream = self._client.status_stream(self._sandbox, http_timeout=self.read_timeout)
            async with aclosing(stream) as statuses:
                async for status in statuses:
                    queue.put_nowait(status)
        except Exception as exc:  # handed to the consumer's task, which decides
            queue.put_nowait(exc)
        else:
            queue.put_nowait(_Signal.END)

    # ── helpers ──

    def _stream_unavailable(self, error: Leap0Error | None, fruitless: int) -> bool:
        """Whether to see if polling works: the route is missing, or keeps failing."""
        if _needs_patience(error):
            return False  # a GET would be refused just the same
        return _sse_missing(error) or fruitless >= self.backoff.attempts

    def _delay_after(self, error: Leap0Error | None, fruitless: int) -> float:
        """Seconds to wait before the next try, after ``fruitless`` failures in a row."""
        if _needs_patience(error):
            return self.error_backoff
        return self.backoff.delay(max(0, fruitless - 1), retry_after_of(error))

    def _update(
        self,
        state: FeedState,
        retry_in: float | None = None,
        error: Leap0Error | None = None,
    ) -> FeedUpdate:
        self._state = state
        return FeedUpdate(state, self._status, self._received_at, retry_in, error)

    async def _sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds, or less if the feed is closed meanwhile."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), delay)

    async def _race[T](
        self, work: Coroutine[Any, Any, T], limit: float | None = None
    ) -> T | _Signal:
        """``work``'s result, or TIMEOUT / CLOSED (``work`` cancelled) if that comes first.

        ``work``'s exceptions propagate.
        """
        task = asyncio.ensure_future(work)
        closing = asyncio.ensure_future(self._closed.wait())
        try:
            done, _ = await asyncio.wait(
                {task, closing}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            closing.cancel()
            task.cancel()  # a no-op once it is done
        if task in done:
            return task.result()
        return _Signal.CLOSED if self.closed else _Signal.TIMEOUT
