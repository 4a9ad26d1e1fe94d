"""Failures as the user sees them (one line) and as the debug log keeps them (everything).

Workers catch what they call raise and hand it to :func:`report`: the exception goes to
the debug log with its traceback, and the returned line goes into a toast or a status
line. Nothing here draws anything.
"""

from __future__ import annotations

import logging

__all__ = ["one_line", "report"]

log = logging.getLogger("tui")

_MAX = 200


def one_line(exc: BaseException) -> str:
    """A single line for the UI: core's own message, or the kind of an unexpected error."""
    from core.errors import Leap0Error

    if isinstance(exc, Leap0Error):
        text = str(exc)
    elif isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        text = f"{exc.strerror}{where}"
    else:
        text = f"unexpected {type(exc).__name__}: {exc} (details in the debug log)"
    text = " ".join(text.split())
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"


def report(what: str, exc: BaseException) -> str:
    """Log ``exc`` (traceback included) under ``what``; return the line to show."""
    from core.errors import Leap0Error

    if isinstance(exc, Leap0Error | OSError):
        log.info("%s: %s", what, exc, exc_info=exc)
    else:
        log.error("%s: unexpected error", what, exc_info=exc)
    return one_line(exc)
