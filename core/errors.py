"""The one error tree that ``core`` raises.

::

    Leap0Error                    anything core raises on purpose
    ├── Leap0ValidationError      a value was refused, by us before sending or by the server (400)
    ├── Leap0APIError             the server answered with an error status
    │   ├── Leap0AuthError        401 or 403: the token is missing, wrong or not allowed
    │   ├── Leap0NotFoundError    404: no such desktop, recording or route
    │   ├── Leap0ConflictError    409: the desktop is not in a state that allows this
    │   ├── Leap0RateLimitError   429: too many requests; ``retry_after`` says how long to wait
    │   └── Leap0ServerError      5xx: the desktop or something in front of it failed
    ├── Leap0TimeoutError         no answer in time (``http_timeout``, a deadline, a silent stream)
    ├── Leap0ConnectionError      the desktop could not be reached, or the connection broke
    ├── Leap0ResponseError        the server's answer does not match the API (bad JSON, fields)
    ├── Leap0StreamError          the status stream sent ``event: error`` or a malformed event
    └── Leap0DownloadError        a download finished with the wrong size

Low-level errors (httpx, pydantic) are translated at the transport and raised ``from``
their cause, so ``__cause__`` keeps the original. Every message names the desktop.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from core.models import FieldError, field_errors

__all__ = [
    "Leap0APIError",
    "Leap0AuthError",
    "Leap0ConflictError",
    "Leap0ConnectionError",
    "Leap0DownloadError",
    "Leap0Error",
    "Leap0NotFoundError",
    "Leap0RateLimitError",
    "Leap0ResponseError",
    "Leap0ServerError",
    "Leap0StreamError",
    "Leap0TimeoutError",
    "Leap0ValidationError",
    "field_errors_text",
    "retry_after_of",
    "validation_error",
]


class Leap0Error(Exception):
    """Base of every error core raises.

    ``desktop`` names the desktop (URL or sandbox id) the failing call went to, when
    there was one.
    """

    def __init__(self, message: str, *, desktop: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.desktop = desktop

    def __str__(self) -> str:
        return self.message


class Leap0ValidationError(Leap0Error):
    """A value was refused: by the client before sending, or by the server with a 400.

    ``errors`` lists each refused field; ``field`` is the first one's name.
    ``status_code`` is 400 when the server refused, ``None`` when nothing was sent.
    """

    def __init__(
        self,
        message: str,
        *,
        errors: list[FieldError] | None = None,
        desktop: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, desktop=desktop)
        self.errors = errors or []
        self.status_code = status_code

    @property
    def field(self) -> str | None:
        return self.errors[0].field if self.errors else None


class Leap0APIError(Leap0Error):
    """The server answered with an error status; ``server_message`` is what it said."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        server_message: str | None = None,
        desktop: str | None = None,
    ) -> None:
        super().__init__(message, desktop=desktop)
        self.status_code = status_code
        self.server_message = server_message


class Leap0AuthError(Leap0APIError):
    """The token was missing or wrong (401), or is not allowed to do this (403)."""


class Leap0NotFoundError(Leap0APIError):
    """The desktop, recording or route does not exist (404)."""


class Leap0ConflictError(Leap0APIError):
    """The desktop's state forbids the call (409), e.g. a second recording."""


class Leap0RateLimitError(Leap0APIError):
    """Too many requests (429). ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        server_message: str | None = None,
        desktop: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, status_code=status_code, server_message=server_message, desktop=desktop
        )
        self.retry_after = retry_after


class Leap0ServerError(Leap0APIError):
    """The desktop, or a proxy in front of it, failed (5xx)."""


class Leap0TimeoutError(Leap0Error):
    """No answer within the time allowed: a request timeout, a deadline, a silent stream."""


class Leap0ConnectionError(Leap0Error):
    """The desktop could not be reached, or the connection broke mid-way."""


class Leap0ResponseError(Leap0Error):
    """The server answered with a success status, but the body is not what the API defines."""


class Leap0StreamError(Leap0Error):
    """The status stream reported a failure with ``event: error`` (the message is its text),
    or sent an event that is not a process status."""


class Leap0DownloadError(Leap0Error):
    """A download ended with a file of the wrong size; the partial file is kept."""


def validation_error(
    exc: ValidationError, what: str, *, desktop: str | None = None
) -> Leap0ValidationError:
    """The :class:`Leap0ValidationError` for values refused before sending ``what``.

    The message names every refused field, e.g. ``"click: x: x and y must be given together"``.
    """
    errors = field_errors(exc)
    return Leap0ValidationError(
        f"{what}: {field_errors_text(errors)}", errors=errors, desktop=desktop
    )


def field_errors_text(errors: Sequence[FieldError], *, limit: int | None = None) -> str:
    """The refused fields as one phrase for a message, ``"x: ...; y: ..."``: the first
    ``limit`` of them, or all."""
    return "; ".join(f"{e.field}: {e.error}" for e in errors[:limit])


def retry_after_of(error: BaseException | None) -> float | None:
    """The server's ``Retry-After`` hint in seconds, if ``error`` is a rate limit that had one."""
    return error.retry_after if isinstance(error, Leap0RateLimitError) else None
