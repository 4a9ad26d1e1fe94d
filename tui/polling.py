"""Asking a desktop again and again: a pace, a back-off while it fails, a wait cut short."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from tui import clock
from tui.failures import report

__all__ = ["MIN_PACED_WAIT", "error_into", "poll", "wait"]

MIN_PACED_WAIT = 0.05
"""Shortest wait, in seconds, of a paced loop whose step took longer than its pace."""


async def poll(
    step: Callable[[float], Awaitable[float | None]],
    *,
    interval: float,
    max_backoff: float,
    on_error: Callable[[Exception | None], None],
    wake: asyncio.Event | None = None,
    paced: bool = False,
) -> None:
    """Run ``step`` until cancelled, never raising, and wait between runs.

    ``step(delay)`` is given the wait that came before it and returns the wait before the
    next run, or ``None`` for ``interval``. One run at a time: a slow step delays the next.
    A step that raises goes to ``on_error`` and the wait doubles (from the one before, at
    least ``interval``) up to ``max_backoff``; ``on_error(None)`` follows each success.

    ``paced``: the wait counts from when the step started, so a slow step does not slow
    the pace (:data:`MIN_PACED_WAIT` at least). ``wake``: setting it cuts the wait short
    (see :func:`wait`).
    """
    delay = interval
    while True:
        started = clock.monotonic()
        try:
            wanted = await step(delay)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            on_error(exc)
            delay = min(max_backoff, max(delay, interval) * 2)
        else:
            on_error(None)
            delay = interval if wanted is None else wanted
        if paced:
            await wait(max(MIN_PACED_WAIT, delay - (clock.monotonic() - started)), wake)
        else:
            await wait(delay, wake)


async def wait(seconds: float, wake: asyncio.Event | None = None) -> None:
    """Sleep ``seconds``, or until ``wake`` is set (it is cleared first: only a wake-up
    during the wait counts). Nothing to wait: let input and rendering run, then return."""
    if seconds <= 0:
        await asyncio.sleep(0)
        return
    if wake is None:
        await asyncio.sleep(seconds)
        return
    wake.clear()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()


def error_into(target: Any, what: str) -> Callable[[Exception | None], None]:
    """An ``on_error`` for :func:`poll` that sets ``target.error``: the failure's line
    (:func:`~tui.failures.report` logs it under ``what``), or ``None`` after a success."""

    def on_error(exc: Exception | None) -> None:
        target.error = None if exc is None else report(what, exc)

    return on_error
