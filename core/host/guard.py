"""Keeping the HTTP server answering under a flood of connections that never send a request.

uvicorn (h11) waits for a request's headers forever and bounds no sockets
(``limit_concurrency`` answers 503 once a request has come, which a half-open
connection never sends): about 20,000 connections that stop inside the request line
exhausted the host's file descriptors, healthz stopped answering and asyncio logged the
same ``accept`` failure again and again.

:class:`ConnectionGuard` is shared by every connection of one server; :func:`guarded_h11`
makes uvicorn's h11 protocol report to it:

- a connection has ``header_timeout`` seconds to send a whole request head (from its
  accept, or from the end of its previous response on a kept-alive connection); a slow
  drip of bytes does not extend it. It is closed then.
- at most ``max_connections`` are open. At the cap a new connection closes the oldest one
  still *waiting* (for its first request head, or idle between requests); one that is
  in a request (an SSE stream, a long upload) is never closed for it. If every one is in
  a request, the new one is closed.
- what it closes is logged as one line a second at most, with counts.

So a client that sends its request at once (healthz with the token) always gets a slot,
however many half-open connections there are.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import OrderedDict
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "DEFAULT_HEADER_TIMEOUT",
    "ConnectionGuard",
    "GuardedConnection",
    "RateLimitedExceptionHandler",
    "default_max_connections",
    "guarded_h11",
    "raise_fd_limit",
]

log = logging.getLogger(__name__)

DEFAULT_HEADER_TIMEOUT = 5.0
"""Seconds a connection has to send a request head."""


def raise_fd_limit() -> int:
    """Raise this process's soft limit of open files to the hard one; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def default_max_connections(fd_limit: int) -> int:
    """Half the descriptors, between 64 and 4096: the rest is for the desktop's own work
    (log files, pipes to helpers, captures)."""
    return max(64, min(4096, fd_limit // 2))


class _Closed:
    """Counts of connections closed, logged as one line a second at most."""

    def __init__(self) -> None:
        self.timed_out = 0
        self.evicted = 0
        self.refused = 0
        self._last_log = 0.0

    def maybe_log(self, open_now: int) -> None:
        now = time.monotonic()
        if now - self._last_log < 1.0 or not (self.timed_out or self.evicted or self.refused):
            return
        self._last_log = now
        log.warning(
            "connection flood? closed %d without a request in time, %d oldest waiting at "
            "the cap, %d refused (all busy); %d open",
            self.timed_out,
            self.evicted,
            self.refused,
            open_now,
        )
        self.timed_out = self.evicted = self.refused = 0


class ConnectionGuard:
    """The connections of one server: their deadlines and the cap (see the module doc)."""

    def __init__(
        self, max_connections: int, header_timeout: float = DEFAULT_HEADER_TIMEOUT
    ) -> None:
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self._open: set[GuardedConnection] = set()
        self._waiting: OrderedDict[GuardedConnection, asyncio.TimerHandle] = OrderedDict()
        self.closed = _Closed()

    @property
    def open_count(self) -> int:
        return len(self._open)

    @property
    def waiting_count(self) -> int:
        return len(self._waiting)

    def opened(self, conn: GuardedConnection) -> bool:
        """A new connection: ``False`` when it must be closed (every slot busy)."""
        if len(self._open) >= self.max_connections:
            if self._waiting:
                oldest = next(iter(self._waiting))
                self.closed.evicted += 1
                self._close(oldest)
            else:
                self.closed.refused += 1
                self.closed.maybe_log(len(self._open))
                return False
        self._open.add(conn)
        self.wait_for_request(conn)
        self.closed.maybe_log(len(self._open))
        return True

    def wait_for_request(self, conn: GuardedConnection) -> None:
        """``conn`` waits for a request head, from now on, for ``header_timeout`` s at most."""
        self.in_request(conn)
        if conn in self._open:
            timer = asyncio.get_running_loop().call_later(
                self.header_timeout, self._timed_out, conn
            )
            self._waiting[conn] = timer

    def in_request(self, conn: GuardedConnection) -> None:
        """``conn`` has sent a request head: no deadline, never closed for the cap."""
        timer = self._waiting.pop(conn, None)
        if timer is not None:
            timer.cancel()

    def lost(self, conn: GuardedConnection) -> None:
        self.in_request(conn)
        self._open.discard(conn)

    def _timed_out(self, conn: GuardedConnection) -> None:
        if conn in self._waiting:
            self.closed.timed_out += 1
            self._close(conn)
            self.closed.maybe_log(len(self._open))

    def _close(self, conn: GuardedConnection) -> None:
        self.lost(conn)
        conn.close_now()


class GuardedConnection(H11Protocol):
    """uvicorn's h11 protocol, reporting to a :class:`ConnectionGuard` (``guard``)."""

    guard: ConnectionGuard

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if not self.guard.opened(self):
            self.close_now()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # A request head has come: h11 made a cycle for it that is not complete.
        if self.cycle is not None and not self.cycle.response_complete:
            self.guard.in_request(self)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self.guard.wait_for_request(self)

    def handle_websocket_upgrade(self, event: Any) -> None:
        # The connection is the WebSocket protocol's from now on (the viewer checks its
        # cookie at once): no deadline, and this protocol will not hear it close.
        self.guard.lost(self)
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.lost(self)
        super().connection_lost(exc)

    def close_now(self) -> None:
        """Close at once, nothing sent (it has asked for nothing)."""
        self.transport.abort()


def guarded_h11(guard: ConnectionGuard) -> type[H11Protocol]:
    """uvicorn's ``http`` protocol class for one server, bound to ``guard``."""
    return type("GuardedH11", (GuardedConnection,), {"guard": guard})


class RateLimitedExceptionHandler:
    """An asyncio exception handler that logs the same message once a second at most.

    With a flood, asyncio reports every failed ``accept`` (``EMFILE``) and every broken
    transport; the first of a kind is logged with its traceback, the repeats are counted
    and summed up on the next line of that kind.
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._repeats: dict[str, int] = {}

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", "unhandled exception in the event loop"))
        exc = context.get("exception")
        key = f"{message}|{type(exc).__name__}"
        now = time.monotonic()
        if now - self._last.get(key, -self.interval) < self.interval:
            self._repeats[key] = self._repeats.get(key, 0) + 1
            return
        self._last[key] = now
        repeats = self._repeats.pop(key, 0)
        if repeats:
            context = dict(context)
            context["message"] = f"{message} (and {repeats} more like it, not logged)"
        loop.default_exception_handler(context)
