"""The failures the host's parts raise, each carrying the HTTP status the app answers with.

::

    HostError                  a request cannot be done; ``status`` and ``message`` say why
    ├── HostValidationError    400: a value was refused; ``errors`` names each field
    ├── HostNotFoundError      404: no such recording
    ├── HostConflictError      409: the desktop's state forbids it (a recording is active ...)
    └── HostUnavailableError   503: what the request needs is not running or not installed

The app turns each into ``{"message"}`` (plus ``"errors"`` for a 400), so no route answers
500: an exception that is none of these is a bug, logged with its traceback and answered 503.
"""

from __future__ import annotations

from core.models import FieldError

__all__ = [
    "HostConflictError",
    "HostError",
    "HostNotFoundError",
    "HostUnavailableError",
    "HostValidationError",
]


class HostError(Exception):
    """A request the host cannot do; ``status`` is the HTTP status to answer with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HostValidationError(HostError):
    """A request value was refused (400); ``errors`` lists ``{"field", "error"}`` pairs."""

    status = 400

    def __init__(self, errors: list[FieldError], message: str = "Invalid request") -> None:
        super().__init__(message)
        self.errors = errors

    @classmethod
    def one(cls, field: str, error: str) -> HostValidationError:
        """A refusal of a single field."""
        return cls([FieldError(field=field, error=error)])


class HostNotFoundError(HostError):
    """The named thing (a recording) does not exist, or is not one the host may touch (404)."""

    status = 404


class HostConflictError(HostError):
    """The desktop's current state forbids the request (409)."""

    status = 409


class HostUnavailableError(HostError):
    """What the request needs (the display, xdotool, ffmpeg ...) is not available (503)."""

    status = 503
