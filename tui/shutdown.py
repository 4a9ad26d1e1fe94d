"""How leap0-tui ends on SIGTERM and SIGHUP (terminal closed), with the local desktop stopped.

Two sets of handlers, because only one can hold a signal at a time: while the app's event
loop runs, :class:`LoopSignals` turns the signal into a normal exit (the app unmounts, stops
the local desktop and restores the terminal); before that loop starts and after it closes,
:func:`stopped_on_exit` stops the desktop itself and exits. Either way the exit status is
:func:`exit_status` of the signal.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = [
    "EXIT_GRACE",
    "STOP_SIGNALS",
    "LoopSignals",
    "exit_at_the_latest",
    "exit_status",
    "stopped_on_exit",
]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""The signals that end leap0-tui the orderly way (SIGINT is a key to Textual)."""


def exit_status(signum: int) -> int:
    """The shell's status for a process ended by ``signum``: 128 + its number."""
    return 128 + signum


class LoopSignals:
    """:data:`STOP_SIGNALS` handled inside the running event loop."""

    def __init__(self) -> None:
        self._installed: list[signal.Signals] = []

    def install(self, handler: Callable[[signal.Signals], None]) -> None:
        """Call ``handler(sig)`` in the loop for each stop signal. Only the main thread
        can; elsewhere (an app run in a test's thread) nothing is installed."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, handler, sig)
                self._installed.append(sig)

    def remove(self) -> None:
        """Take the handlers out of the loop (asyncio puts the default ones back)."""
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            for sig in self._installed:
                loop.remove_signal_handler(sig)
        self._installed.clear()


@contextlib.contextmanager
def stopped_on_exit(stop: Callable[[], None]) -> Iterator[None]:
    """Call ``stop`` however the process ends: on leaving the block, at interpreter exit,
    and on a stop signal that no event loop handles (then exit with its status).

    ``stop`` must be idempotent and safe in a signal handler (``LocalHost.stop`` is).
    """
    atexit.register(stop)
    _stop_on_signals(stop)
    try:
        yield
    finally:
        # asyncio put the default handlers back when its loop closed.
        _stop_on_signals(stop)
        stop()


def _stop_on_signals(stop: Callable[[], None]) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop()
        raise SystemExit(exit_status(signum))

    for sig in STOP_SIGNALS:
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, handler)


EXIT_GRACE = 10.0
"""Seconds an orderly exit on a stop signal may take before the process ends anyway."""


def exit_at_the_latest(seconds: float, stop: Callable[[], None], status: int) -> None:
    """If the process still runs ``seconds`` from now, call ``stop`` and end it with
    ``status`` at once.

    Textual's exit restores the terminal by writing to it through a bounded queue; when
    the terminal is gone (kitty closed: SIGHUP) the writer thread has died on the dead
    pty and that write blocks the event loop for ever, so a later SIGTERM is never handled
    either (seen: dashboards left running at 35 % of a core, ended only by SIGKILL).
    ``stop`` (idempotent, thread-safe: ``LocalHost.stop``) stops the local desktops first.
    """

    def expire() -> None:
        with contextlib.suppress(Exception):
            stop()
        os._exit(status)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
