"""Exit statuses of the commands, and which failure gets which."""

from __future__ import annotations

__all__ = [
    "AUTH",
    "CONFLICT",
    "FAILED",
    "INTERRUPTED",
    "NOT_FOUND",
    "OK",
    "UNREACHABLE",
    "USAGE",
    "code_for",
]

OK = 0
FAILED = 1
"""The operation failed (the server said so, a file could not be written ...)."""
USAGE = 2
"""The command line is wrong: an argument, a missing target, no --yes without a terminal."""
AUTH = 3
"""The token or API key was refused (401, 403)."""
NOT_FOUND = 4
"""No such sandbox, recording or process."""
CONFLICT = 5
"""The desktop is not in a state for it: already recording, recording still active."""
UNREACHABLE = 6
"""The desktop (or control plane) could not be reached, or did not answer in time."""
INTERRUPTED = 130
"""Ctrl+C (128 + SIGINT), the usual end of ``--watch`` and ``-f``."""


def code_for(exc: BaseException) -> int:
    """The exit status for a failure a command did not handle itself."""
    from core.errors import (
        Leap0AuthError,
        Leap0ConflictError,
        Leap0ConnectionError,
        Leap0NotFoundError,
        Leap0TimeoutError,
        Leap0ValidationError,
    )

    if isinstance(exc, Leap0AuthError):
        return AUTH
    if isinstance(exc, Leap0NotFoundError):
        return NOT_FOUND
    if isinstance(exc, Leap0ConflictError):
        return CONFLICT
    if isinstance(exc, Leap0ConnectionError | Leap0TimeoutError):
        return UNREACHABLE
    if isinstance(exc, Leap0ValidationError):
        # Refused before sending: the command line's value. Refused by the server: failed.
        return USAGE if exc.status_code is None else FAILED
    return FAILED
