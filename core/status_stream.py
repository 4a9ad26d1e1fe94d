"""A desktop's SSE status stream: one connection read event by event, and waiting on it for ready.

What ``AsyncDesktopClient.status_stream`` and ``wait_until_ready`` run; their docstrings are
the contract. :class:`~core.status_feed.StatusFeed` builds the dashboard's lasting feed on
top of the first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AsyncExitStack, aclosing

import httpx
from httpx_sse import EventSource
from pydantic import ValidationError

from core.defaults import HEARTBEAT, STREAM_READ_TIMEOUT
from core.errors import (
    Leap0ConnectionError,
    Leap0RateLimitError,
    Leap0ServerError,
    Leap0StreamError,
    Leap0TimeoutError,
    field_errors_text,
)
from core.models import DesktopProcessStatusList, field_errors
from core.routes import Routes
from core.transport import AsyncTransport, Endpoint

__all__ = ["status_events", "wait_until_ready"]

_SSE_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


async def status_events(
    transport: AsyncTransport,
    endpoint: Endpoint,
    *,
    deadline: float | None = None,
    http_timeout: float | None = None,
) -> AsyncGenerator[DesktopProcessStatusList, None]:
    """The statuses of one stream connection, as ``AsyncDesktopClient.status_stream``."""
    what = "status stream"
    route = Routes.STATUS_STREAM
    read_timeout = STREAM_READ_TIMEOUT if http_timeout is None else http_timeout
    async with AsyncExitStack() as stack:
        stream = transport.stream(
            route.method,
            endpoint,
            route.path(),
            headers=_SSE_HEADERS,
            http_timeout=read_timeout,
            what=what,
            long_lived=True,
        )
        response = await _bounded(
            lambda: stack.enter_async_context(stream), read_timeout, deadline, endpoint, what
        )
        content_type = response.headers.get("content-type", "")
        if "text/event-stream" not in content_type:
            raise Leap0StreamError(
                f"{what} on {endpoint.label} is not an event stream "
                f"(Content-Type {content_type or 'missing'!r})",
                desktop=endpoint.label,
            )
        events = EventSource(response).aiter_sse()
        stack.push_async_callback(events.aclose)
        while True:
            event = await _bounded(
                lambda: anext(events, None), read_timeout, deadline, endpoint, what
            )
            if event is None:
                return
            if event.event == "error":
                raise Leap0StreamError(
                    f"{what} on {endpoint.label} reported an error: "
                    f"{event.data.strip() or '(no detail)'}",
                    desktop=endpoint.label,
                )
            if not event.data.strip():
                continue  # a heartbeat comment after an `id:` arrives as an empty event
            try:
                status = DesktopProcessStatusList.model_validate_json(event.data)
            except ValidationError as exc:
                raise Leap0StreamError(
                    f"{what} on {endpoint.label} sent a malformed event: "
                    f"{field_errors_text(field_errors(exc), limit=5)}",
                    desktop=endpoint.label,
                ) from exc
            yield status


async def wait_until_ready(
    transport: AsyncTransport,
    endpoint: Endpoint,
    *,
    timeout: float,  # noqa: ASYNC109 (the seed's signature)
    http_timeout: float | None = None,
) -> None:
    """Follow the stream, reconnecting, until the desktop is ``running``, as
    ``AsyncDesktopClient.wait_until_ready``."""
    deadline = time.monotonic() + timeout
    last_status = "no status received"
    last_error = "none"
    attempt = 0
    while True:
        retry_after: float | None = None
        try:
            stream = status_events(
                transport, endpoint, deadline=deadline, http_timeout=http_timeout
            )
            async with aclosing(stream) as statuses:
                async for status in statuses:
                    if status.status == "running":
                        return
                    attempt = 0
                    last_status = _describe_status(status)
            last_error = "the stream ended"
        # Anything not caught below (401/403, 404, 409, a refused reference) is for good.
        except Leap0RateLimitError as exc:
            last_error, retry_after = str(exc), exc.retry_after
        except (Leap0ServerError, Leap0ConnectionError, Leap0StreamError) as exc:
            last_error = str(exc)
        except Leap0TimeoutError as exc:
            if time.monotonic() < deadline:  # one silent read, not the overall bound
                last_error = str(exc)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Leap0TimeoutError(
                f"desktop {endpoint.label} not ready after {timeout:g} s: {last_status}; "
                f"last error: {last_error}",
                desktop=endpoint.label,
            )
        await asyncio.sleep(min(remaining, transport.retry.delay(attempt, retry_after)))
        attempt += 1


async def _bounded[T](
    start: Callable[[], Awaitable[T]],
    read_timeout: float,
    deadline: float | None,
    endpoint: Endpoint,
    what: str,
) -> T:
    """Await ``start()`` for at most ``read_timeout`` seconds and never past ``deadline``.

    The deadline is checked before anything starts, so it holds between events too.
    """
    limit, by_deadline = read_timeout, False
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining < read_timeout:
            limit, by_deadline = remaining, True
        if remaining <= 0:
            raise Leap0TimeoutError(
                f"{what} on {endpoint.label} passed its deadline", desktop=endpoint.label
            )
    try:
        async with asyncio.timeout(limit):
            return await start()
    except (TimeoutError, httpx.TimeoutException) as exc:
        if by_deadline:
            message = f"{what} on {endpoint.label} passed its deadline"
        else:
            message = (
                f"{what} on {endpoint.label}: no event for {read_timeout:g} s "
                f"(the desktop sends one every {HEARTBEAT:g} s); the stream looks dead"
            )
        raise Leap0TimeoutError(message, desktop=endpoint.label) from exc


def _describe_status(status: DesktopProcessStatusList) -> str:
    down = [item.name for item in status.items if not item.running]
    text = f"status {status.status}, {status.running} of {status.total} processes running"
    return text + (f" ({', '.join(down)} down)" if down else "")
