"""The HTTP seam: one ``httpx.AsyncClient``, the bearer header, timeouts, retries, errors.

Everything that talks HTTP goes through :class:`AsyncTransport`, so there is one place
where low-level failures become :mod:`core.errors` and one retry policy:

* idempotent calls (GETs) retry refused or broken connections, 429 and 503, with bounded
  exponential back-off that honours ``Retry-After``;
* everything else (restart, recording start/stop, input) is sent once: a retry could
  repeat an action the desktop already performed.

Two connection pools, one transport. httpx's pool limit is global, not per host: with one
pool of 64 connections, 64 status streams (each holds its connection for as long as it is
followed) left nothing for any other call, and the 65th desktop's stream waited for a
connection that never came. Calls (short requests) share a bounded pool; long-lived
streams (``stream(..., long_lived=True)``: status streams) get a pool of their own with no
cap, since each holds exactly one connection to one desktop and their number is bounded by
whoever opens them (:class:`core.fleet.Fleet`'s ``max_streams``).

No TLS context until the first https request. httpx builds its context (the certifi bundle,
or ``SSL_CERT_FILE``/``SSL_CERT_DIR``) when a client is made, https or not: 25 to 40 ms of a
``leap0-tui status`` that talks plain http to a local host. Each client's https requests go
through a pool of their own, made as httpx makes it, on the first one (:class:`_TLSWhenNeeded`).
"""

from __future__ import annotations

import asyncio
import email.utils
import errno
import html
import importlib.util
import json
import random
import re
import socket
import ssl
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
from pydantic import BaseModel, ValidationError

from core.defaults import DEFAULT_BASE_URL, DEFAULT_TIMEOUT
from core.errors import (
    Leap0APIError,
    Leap0AuthError,
    Leap0ConflictError,
    Leap0ConnectionError,
    Leap0Error,
    Leap0NotFoundError,
    Leap0RateLimitError,
    Leap0ResponseError,
    Leap0ServerError,
    Leap0TimeoutError,
    Leap0ValidationError,
    field_errors_text,
)
from core.models import FieldError, field_errors

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "AsyncTransport",
    "Endpoint",
    "RetryPolicy",
    "authorization_value",
    "bare_token",
    "connect_reason",
    "parse_response",
]

_RETRY_STATUSES = frozenset({429, 503})
CALL_CONNECTIONS = 64
"""Most connections of the calls' pool at once (a request past them waits for one)."""
CALL_KEEPALIVE = 16
"""Idle connections of the calls' pool kept open for the next request."""
_USER_AGENT = "leap0-tui/0.1"

READ_SIZE = 1 << 20
"""Most bytes httpcore takes from the connection per read of a response (its own is 64 KiB)."""


def _read_whole_pieces() -> None:
    """Let httpcore take what asyncio has read (up to 256 KiB a ``recv``) in one piece.

    httpcore asks anyio for 64 KiB at a time; anyio hands over one chunk of asyncio's (up to
    256 KiB) per read and, when it is larger, slices it and puts the rest back: a 256 KiB
    chunk cost four trips through httpcore and h11 and 384 KiB of extra copying. Measured on
    loopback (300 MB from uvicorn, 2 shared cores, 6 runs each): the client's CPU time went
    from 0.73-0.87 s to 0.50-0.77 s and the best ``download_recording_to`` from 1.23 s to
    0.65 s; the server has the other core, so the client's CPU is what it competes with.
    anyio never allocates ``max_bytes``, so a larger limit costs no memory. Set only over
    httpcore's own value, so a future httpcore that changes it is left alone (``tests/core``
    notices).
    """
    connection = httpcore.AsyncHTTP11Connection
    if getattr(connection, "READ_NUM_BYTES", None) == 64 * 1024:
        connection.READ_NUM_BYTES = READ_SIZE


_read_whole_pieces()


def _remember_missing_sniffio() -> None:
    """Make a missing ``sniffio`` cheap to find missing.

    httpcore asks ``import sniffio`` on every lock it takes (several per request) and falls
    back to asyncio when it is not installed; Python does not remember a failed import, so
    each ask searched ``sys.path`` again: 84 µs a time idle, about 2 ms of CPU per request
    with 1,000 desktops polled (measured here, ``benchmarks/fleet_core.py``: the largest cost
    of polling). A ``None`` in ``sys.modules`` makes that import fail at once, with the same
    outcome. Nothing changes when sniffio is installed.
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_remember_missing_sniffio()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one desktop (or the control plane) answers, and with which token.

    ``label`` names it in error messages: the sandbox id, or the URL.
    """

    base_url: str
    token: str | None
    label: str

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential back-off for idempotent calls.

    Attempt ``n`` (from 0) waits ``min(max_delay, base_delay * 2**n)`` seconds, with up to
    25 % jitter, or what ``Retry-After`` asks when that is not longer than ``max_delay``.
    """

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        # The exponent is capped: 2.0**1024 overflows, and a reconnect loop can get that far.
        backoff: float = min(self.max_delay, self.base_delay * 2.0 ** min(attempt, 64))
        return backoff * (1 + random.random() / 4)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number or an HTTP date), or ``None``."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


SERVER_TEXT_LIMIT = 160
"""Most characters of the server's own text kept in an error's message (one line)."""

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def _one_line(text: str, limit: int = SERVER_TEXT_LIMIT) -> str:
    """``text`` with its whitespace collapsed, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _html_text(body: str) -> str | None:
    """What an HTML error page says in one line: its ``<title>``, never the markup."""
    match = _TITLE.search(body)
    if match is None:
        return None
    title = html.unescape(_TAG.sub("", match.group(1)))
    return _one_line(title) or None


def _server_message(response: httpx.Response) -> tuple[str | None, list[FieldError]]:
    """What the server said in an error body, in one short line, and any field errors.

    JSON: its ``message`` (or ``detail``, as FastAPI and Starlette say it); HTML (a proxy's
    error page): its ``<title>``; plain text: the text. Never raw markup.
    """
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, httpx.ResponseNotRead):
        try:
            text = response.text.strip()
        except httpx.ResponseNotRead:
            return None, []
        content_type = response.headers.get("content-type", "").lower()
        if "html" in content_type or text[:1] == "<":
            return _html_text(text), []
        return (_one_line(text) or None), []
    if not isinstance(body, dict):
        return None, []
    message = body.get("message", body.get("detail"))
    errors: list[FieldError] = []
    for item in body.get("errors") or []:
        if isinstance(item, dict) and "field" in item:
            errors.append(FieldError(field=str(item["field"]), error=str(item.get("error", ""))))
    said = _one_line(str(message)) if isinstance(message, str | int | float) else None
    return (said or None), errors


def error_for_response(response: httpx.Response, what: str, desktop: str) -> Leap0Error:
    """The :mod:`core.errors` exception for an unexpected status. The body must be read.

    The message reads ``"401 Unauthorized: missing or wrong token (display info on URL)"``:
    status, the server's text in one short line, then what was asked of which desktop.
    """
    status = response.status_code
    said, errors = _server_message(response)
    heading = f"{status} {response.reason_phrase or 'error'}"
    # The server's own words come first, so a narrow status line still shows them; a
    # proxy's page titled "502 Bad Gateway" is not said twice.
    detail = f": {said}" if said and said.casefold() != heading.casefold() else ""
    if errors:
        detail += f" ({field_errors_text(errors)})"
    message = f"{heading}{detail} ({what} on {desktop})"
    kwargs: dict[str, Any] = {"status_code": status, "server_message": said, "desktop": desktop}
    if status == 400:
        return Leap0ValidationError(message, errors=errors, desktop=desktop, status_code=400)
    if status in (401, 403):
        return Leap0AuthError(message, **kwargs)
    if status == 404:
        return Leap0NotFoundError(message, **kwargs)
    if status == 409:
        return Leap0ConflictError(message, **kwargs)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return Leap0RateLimitError(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return Leap0ServerError(message, **kwargs)
    return Leap0APIError(message, **kwargs)


def error_for_exception(exc: httpx.HTTPError, what: str, desktop: str) -> Leap0Error:
    """The :mod:`core.errors` exception for an httpx failure (raise it ``from exc``)."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            "ConnectTimeout": "connecting",
            "ReadTimeout": "waiting for data",
            "WriteTimeout": "sending",
            "PoolTimeout": "waiting for a free connection",
        }.get(name, "waiting")
        return Leap0TimeoutError(f"{what} on {desktop} timed out {kind}", desktop=desktop)
    if isinstance(exc, httpx.ConnectError):
        return Leap0ConnectionError(
            f"{what}: cannot connect to {desktop} ({connect_reason(exc) or _exception_text(exc)})",
            desktop=desktop,
        )
    if isinstance(exc, httpx.TransportError):
        return Leap0ConnectionError(
            f"{what}: connection to {desktop} broke ({_exception_text(exc)})", desktop=desktop
        )
    return Leap0ConnectionError(
        f"{what} on {desktop} failed: {_exception_text(exc)}", desktop=desktop
    )


def _exception_text(exc: BaseException) -> str:
    """What ``exc`` says, else its class name: many httpx errors (a reset connection's
    ``ReadError``) have an empty message, and an exception object is always true, so
    ``exc or name`` never falls back."""
    return _one_line(str(exc)) or type(exc).__name__


_CONNECT_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "timed out",
    errno.ECONNRESET: "connection reset",
}


def connect_reason(exc: BaseException) -> str | None:
    """What the system said under httpx's words, which for a refused connection are only
    "All connection attempts failed": ``"connection refused"``, ``"host name not resolved"``..."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror):
            return "host name not resolved"
        if isinstance(cause, OSError) and cause.errno in _CONNECT_REASONS:
            return _CONNECT_REASONS[cause.errno]
        cause = cause.__cause__ or cause.__context__
    return None


def parse_response[M: BaseModel](
    model: type[M], response: httpx.Response, what: str, desktop: str
) -> M:
    """The response body as ``model``; any other body raises :class:`Leap0ResponseError`."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise Leap0ResponseError(
            f"{what} on {desktop}: the answer ({response.status_code}) is not a valid "
            f"{model.__name__}: {field_errors_text(field_errors(exc), limit=5)}",
            desktop=desktop,
        ) from exc


def authorization_value(token: str) -> str:
    """The ``Authorization`` header for ``token``: ``"Bearer <token>"``, or the token as it
    is when it already says ``Bearer `` (in any case), as the official SDK does."""
    return token if token[:7].lower() == "bearer " else f"Bearer {token}"


def bare_token(token: str) -> str:
    """``token`` without a leading ``Bearer `` (for a URL's ``?token=``)."""
    return token[7:].strip() if token[:7].lower() == "bearer " else token


class _TLSWhenNeeded(httpx.AsyncBaseTransport):
    """A client's own transport, as httpx would make it, but its TLS context (and pool) made
    on the first https request; http requests go through a pool with a context that trusts
    nothing, never used for TLS (an https URL never reaches it)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        self._plain = httpx.AsyncHTTPTransport(
            **{**options, "verify": ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)}
        )
        self._tls: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https":
            return await self._plain.handle_async_request(request)
        if self._tls is None:
            self._tls = httpx.AsyncHTTPTransport(**self._options)
        return await self._tls.handle_async_request(request)

    async def aclose(self) -> None:
        await self._plain.aclose()
        if self._tls is not None:
            await self._tls.aclose()


class _Client(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose own transport builds its TLS context when first needed.

    Proxies from the environment are kept as httpx sets them up (they are mounts, built as
    before); only the default transport, which httpx makes in ``_init_transport``, changes.
    """

    def _init_transport(  # type: ignore[override]  # httpx passes these as keywords
        self, *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        return _TLSWhenNeeded(options)


def _retryable_exception(exc: httpx.HTTPError) -> bool:
    # Timeouts are not retried: the caller's http_timeout bounds the whole call.
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.TimeoutException)


class AsyncTransport:
    """Owns one ``httpx.AsyncClient``; sends requests for the desktop and control-plane APIs.

    ``api_key`` is sent as ``Authorization: Bearer`` unless an :class:`Endpoint` carries a
    token of its own. ``timeout`` is the default per request, in seconds; a call's
    ``http_timeout`` replaces it for that call. Use as an async context manager, or call
    :meth:`aclose`.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._http = http_client or _Client(
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": _USER_AGENT},
            limits=httpx.Limits(
                max_connections=CALL_CONNECTIONS, max_keepalive_connections=CALL_KEEPALIVE
            ),
        )
        # Built on the first long-lived stream; an injected client (tests) serves both.
        self._streams: httpx.AsyncClient | None = http_client

    @property
    def http(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` of calls (requests and short streams)."""
        return self._http

    @property
    def stream_http(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` of long-lived streams (``stream(..., long_lived=True)``):
        no cap on connections (each holds one to one desktop), none kept alive once a stream
        ends (the next one comes after a back-off)."""
        if self._streams is None:
            self._streams = _Client(
                timeout=httpx.Timeout(self.timeout),
                headers={"User-Agent": _USER_AGENT},
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
            )
        return self._streams

    @property
    def control_plane(self) -> Endpoint:
        """The Leap0 control plane, with the API key."""
        return Endpoint(self.base_url, self.api_key, self.base_url)

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._streams is not None and self._streams is not self._http:
            await self._streams.aclose()

    async def __aenter__(self) -> AsyncTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ── building requests (no I/O) ──

    def token_for(self, endpoint: Endpoint) -> str | None:
        """The bearer token for ``endpoint``: its own, else the API key (``""``: none)."""
        return endpoint.token if endpoint.token is not None else self.api_key

    def headers(self, endpoint: Endpoint, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        token = self.token_for(endpoint)
        headers = dict(extra or {})
        if token:
            headers["Authorization"] = authorization_value(token)
        return headers

    def timeout_for(self, http_timeout: float | None) -> httpx.Timeout:
        return httpx.Timeout(self.timeout if http_timeout is None else http_timeout)

    def build(
        self,
        method: str,
        endpoint: Endpoint,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        http_timeout: float | None = None,
    ) -> httpx.Request:
        """The request to send: absolute URL, the params given (``None`` values left out),
        bearer header, timeout."""
        return self._http.build_request(
            method,
            endpoint.url(path),
            params={k: v for k, v in (params or {}).items() if v is not None},
            json=json_body,
            headers=self.headers(endpoint, headers),
            timeout=self.timeout_for(http_timeout),
        )

    # ── sending ──

    async def request(
        self,
        method: str,
        endpoint: Endpoint,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        http_timeout: float | None = None,
        expected: tuple[int, ...] = (200,),
        idempotent: bool | None = None,
        what: str | None = None,
    ) -> httpx.Response:
        """Send one request and return the response, whose status is in ``expected``.

        ``idempotent`` defaults to ``method == "GET"``; only idempotent calls are retried.
        ``what`` names the call in error messages (default ``"METHOD path"``).

        Raises the :mod:`core.errors` exception for any other status or failure.
        """
        what = what or f"{method} {path}"
        retry = (method == "GET") if idempotent is None else idempotent
        attempts = self.retry.attempts if retry else 1
        request = self.build(
            method, endpoint, path, params=params, json_body=json_body, http_timeout=http_timeout
        )
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http.send(request)
            except httpx.HTTPError as exc:
                if last or not _retryable_exception(exc):
                    raise error_for_exception(exc, what, endpoint.label) from exc
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            if response.status_code in expected:
                return response
            if not last and response.status_code in _RETRY_STATUSES:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                await asyncio.sleep(self.retry.delay(attempt, retry_after))
                continue
            raise error_for_response(response, what, endpoint.label)
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        endpoint: Endpoint,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        http_timeout: float | None = None,
        expected: tuple[int, ...] = (200,),
        what: str | None = None,
        long_lived: bool = False,
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed response whose status is in ``expected``; the body is not read.

        Not retried: a stream's consumer (status feed, download) owns its reconnection
        policy. httpx errors raised while the body is read inside the ``async with`` are
        translated too. ``long_lived`` sends it through the streams' pool (no cap), for a
        response held open indefinitely (a status stream), so it never takes a connection
        from the calls' pool.
        """
        what = what or f"{method} {path}"
        request = self.build(
            method, endpoint, path, params=params, headers=headers, http_timeout=http_timeout
        )
        http = self.stream_http if long_lived else self._http
        try:
            response = await http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, what, endpoint.label) from exc
        try:
            if response.status_code not in expected:
                await response.aread()
                raise error_for_response(response, what, endpoint.label)
            try:
                yield response
            except httpx.HTTPError as exc:
                raise error_for_exception(exc, what, endpoint.label) from exc
        finally:
            await response.aclose()
