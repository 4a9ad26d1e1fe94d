"""``AsyncDesktopClient``: the seed's desktop API over one :class:`~core.transport.AsyncTransport`.

A desktop is named by a :data:`SandboxRef`:

* a Leap0 sandbox id (``"sbx-abc123"``) or any object with an ``id`` attribute (a control-plane
  sandbox): ``https://{id}.{sandbox_domain}``, with the transport's API key;
* a self-hosted desktop's URL (``"http://127.0.0.1:8765"``), with the transport's API key;
* a :class:`DesktopTarget`, which carries its own URL and token, so one client can serve
  several local hosts at once.

Every method resolves the reference with :meth:`AsyncDesktopClient.endpoint`, validates its
arguments with the request models of :mod:`core.models` (nothing is sent when they are
refused), sends one request through the transport and parses the answer into a wire model.
Failures are raised as :mod:`core.errors`; only GETs are retried (by the transport).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import unicodedata
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import httpx
from httpx_sse import EventSource
from pydantic import BaseModel, ValidationError

from core.defaults import DEFAULT_SANDBOX_DOMAIN, STREAM_READ_TIMEOUT
from core.errors import (
    Leap0ConnectionError,
    Leap0RateLimitError,
    Leap0ServerError,
    Leap0StreamError,
    Leap0TimeoutError,
    Leap0ValidationError,
    validation_error,
)
from core.models import (
    ClickPointerRequest,
    DesktopDisplayInfo,
    DesktopHealth,
    DesktopPointerPosition,
    DesktopProcessErrors,
    DesktopProcessLogs,
    DesktopProcessRestart,
    DesktopProcessStatus,
    DesktopProcessStatusList,
    DesktopRecordingStatus,
    DesktopRecordingSummary,
    DesktopWindow,
    DragPointerRequest,
    FieldError,
    HotkeyRequest,
    MovePointerRequest,
    OkResponse,
    PressKeyRequest,
    ProcessNameParam,
    RecordingsResponse,
    RegionScreenshotRequest,
    ResizeScreenRequest,
    ScreenshotQuery,
    ScrollPointerRequest,
    TypeTextRequest,
    WindowsResponse,
    field_errors,
)
from core.transport import AsyncTransport, Endpoint, parse_response

if TYPE_CHECKING:
    from core.downloads import ProgressCallback

__all__ = [
    "MAX_RECORDING_ID_LENGTH",
    "STREAM_READ_TIMEOUT",
    "TYPING_SECONDS_PER_CHARACTER",
    "AsyncDesktopClient",
    "DesktopTarget",
    "HasSandboxId",
    "SandboxRef",
]

MAX_RECORDING_ID_LENGTH = 256

_SSE_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
# What a cloud sandbox id may contain: it becomes the first label(s) of a host name, so
# anything that could end or redirect the authority ('/', '?', '#', '@', ':') is refused.
_SANDBOX_ID = re.compile(r"[A-Za-z0-9_.-]+")


TYPING_SECONDS_PER_CHARACTER = 0.005
"""What :meth:`AsyncDesktopClient.type_text` adds to its default timeout per character: about
twice what the local host takes (xdotool at 2 ms between characters)."""


class HasSandboxId(Protocol):
    """Anything with a sandbox ``id``, such as a control-plane sandbox."""

    @property
    def id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class DesktopTarget:
    """A desktop at ``url`` (``http://`` or ``https://``), with a token of its own.

    ``token=None`` falls back to the transport's API key, as a plain URL does; ``token=""``
    sends no ``Authorization`` header at all. ``name`` labels the desktop in error messages
    (default: the URL). Raises :class:`Leap0ValidationError` for a URL that is not an absolute
    http(s) URL without query or fragment.
    """

    url: str
    token: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", _desktop_base_url(self.url, "url"))


type SandboxRef = str | HasSandboxId | DesktopTarget
"""A sandbox id, an object with ``.id``, a desktop URL, or a :class:`DesktopTarget`."""


class AsyncDesktopClient:
    """The desktop API of Leap0 sandboxes and self-hosted desktops, over one transport.

    ``sandbox_domain`` (default ``sandbox.leap0.dev``) is where cloud sandboxes answer:
    ``https://{sandbox_id}.{sandbox_domain}``. Closing the client closes the transport; use
    it as an async context manager or call :meth:`aclose`.
    """

    def __init__(self, transport: AsyncTransport, *, sandbox_domain: str | None = None) -> None:
        self._transport = transport
        self.sandbox_domain = (sandbox_domain or DEFAULT_SANDBOX_DOMAIN).strip(". ")

    @property
    def transport(self) -> AsyncTransport:
        """The transport every call goes through (for streaming consumers)."""
        return self._transport

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncDesktopClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ── where a desktop answers (no I/O) ──

    def endpoint(self, sandbox: SandboxRef) -> Endpoint:
        """Resolve a :data:`SandboxRef` to the base URL, token and label of its desktop.

        Raises :class:`Leap0ValidationError` (field ``sandbox``) for an empty or malformed
        sandbox id (``/``, ``..``, whitespace, anything outside letters, digits, ``-``, ``_``,
        ``.``) or a malformed URL.
        """
        if isinstance(sandbox, DesktopTarget):
            return Endpoint(sandbox.url, sandbox.token, sandbox.name or sandbox.url)
        if isinstance(sandbox, str) and _is_url(sandbox):
            base = _desktop_base_url(sandbox, "sandbox")
            return Endpoint(base, self._transport.api_key, base)
        sandbox_id = checked_sandbox_id(
            sandbox if isinstance(sandbox, str) else getattr(sandbox, "id", None)
        )
        return Endpoint(
            f"https://{sandbox_id}.{self.sandbox_domain}", self._transport.api_key, sandbox_id
        )

    def desktop_url(self, sandbox: SandboxRef) -> str:
        """The browser URL of the desktop's viewer (noVNC), served at the desktop's ``/``.

        For a self-hosted desktop (a URL or :class:`DesktopTarget`) the token rides in the
        query as ``?token=...``, since a browser cannot send a header; treat the URL as a
        secret. A cloud sandbox's URL carries no token.
        """
        endpoint = self.endpoint(sandbox)
        url = endpoint.base_url + "/"
        self_hosted = isinstance(sandbox, DesktopTarget) or (
            isinstance(sandbox, str) and _is_url(sandbox)
        )
        token = endpoint.token if endpoint.token is not None else self._transport.api_key
        if self_hosted and token:
            url += "?token=" + quote(token, safe="")
        return url

    # ── display ──

    async def display_info(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopDisplayInfo:
        """The X11 display name and its size in pixels."""
        return await self._get_model(
            self.endpoint(sandbox), "/api/display", DesktopDisplayInfo, "display info", http_timeout
        )

    async def screen(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopDisplayInfo:
        """The virtual screen's current size in pixels."""
        return await self._get_model(
            self.endpoint(sandbox),
            "/api/display/screen",
            DesktopDisplayInfo,
            "screen",
            http_timeout,
        )

    async def resize_screen(
        self, sandbox: SandboxRef, *, width: int, height: int, http_timeout: float | None = None
    ) -> DesktopDisplayInfo:
        """Resize the virtual display to ``width`` x ``height`` pixels and return its new size.

        Width 320..7680, height 320..4320, else :class:`Leap0ValidationError` and nothing is
        sent. The desktop restarts its X server to do this, so windows may be lost; not
        retried.
        """
        return await self._post_model(
            self.endpoint(sandbox),
            "/api/display/screen",
            DesktopDisplayInfo,
            "resize screen",
            http_timeout,
            body=ResizeScreenRequest,
            fields={"width": width, "height": height},
        )

    async def windows(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> list[DesktopWindow]:
        """The desktop's top-level windows."""
        endpoint = self.endpoint(sandbox)
        listing = await self._get_model(
            endpoint, "/api/display/windows", WindowsResponse, "list windows", http_timeout
        )
        return listing.items

    # ── screenshots ──

    async def screenshot(
        self,
        sandbox: SandboxRef,
        *,
        image_format: str | None = None,
        quality: int | None = None,
        x: int | None = None,
        y: int | None = None,
        width: int | None = None,
        height: int | None = None,
        http_timeout: float | None = None,
    ) -> bytes:
        """The screen (or the region at ``x``, ``y`` of ``width`` x ``height``) as image bytes.

        ``image_format`` is ``png`` (the server's default), ``jpg`` or ``jpeg``; ``quality``
        (1..100) applies to JPEG, which is much cheaper for the server to encode. ``width``
        and ``height`` are both 0 (full screen) or both positive. Bad values raise
        :class:`Leap0ValidationError` and nothing is sent; only the arguments given are sent.
        """
        endpoint = self.endpoint(sandbox)
        what = "screenshot"
        query = _validated(
            ScreenshotQuery,
            {
                "format": image_format,
                "quality": quality,
                "x": x,
                "y": y,
                "width": width,
                "height": height,
            },
            endpoint,
            what,
        )
        response = await self._send(
            endpoint, "GET", "/api/screenshot", what, http_timeout, params=query
        )
        return response.content

    async def screenshot_region(
        self,
        sandbox: SandboxRef,
        *,
        x: int,
        y: int,
        width: int,
        height: int,
        image_format: str | None = None,
        quality: int | None = None,
        http_timeout: float | None = None,
    ) -> bytes:
        """The region at ``x``, ``y`` (>= 0) of ``width`` x ``height`` (>= 1) as image bytes.

        Format and quality as :meth:`screenshot`. Bad values raise
        :class:`Leap0ValidationError` and nothing is sent.
        """
        endpoint = self.endpoint(sandbox)
        what = "region screenshot"
        body = _validated(
            RegionScreenshotRequest,
            {
                "x": x,
                "y": y,
                "width": width,
                "height": height,
                "format": image_format,
                "quality": quality,
            },
            endpoint,
            what,
        )
        response = await self._send(
            endpoint, "POST", "/api/screenshot/region", what, http_timeout, json_body=body
        )
        return response.content

    # ── input (never retried: a retry could act twice) ──

    async def pointer_position(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopPointerPosition:
        """Where the pointer is, in screen pixels."""
        return await self._get_model(
            self.endpoint(sandbox),
            "/api/input/position",
            DesktopPointerPosition,
            "pointer position",
            http_timeout,
        )

    async def move_pointer(
        self, sandbox: SandboxRef, *, x: int, y: int, http_timeout: float | None = None
    ) -> DesktopPointerPosition:
        """Move the pointer to ``x``, ``y`` (pixels, >= 0); returns where it ended up."""
        return await self._post_model(
            self.endpoint(sandbox),
            "/api/input/move",
            DesktopPointerPosition,
            "move pointer",
            http_timeout,
            body=MovePointerRequest,
            fields={"x": x, "y": y},
        )

    async def click(
        self,
        sandbox: SandboxRef,
        *,
        x: int | None = None,
        y: int | None = None,
        button: int | None = None,
        http_timeout: float | None = None,
    ) -> DesktopPointerPosition:
        """Click ``button`` (1 left, 2 middle, 3 right; server default 1).

        At ``x``, ``y`` when both are given (moving there first), at the current position
        when neither is; one without the other raises :class:`Leap0ValidationError`.
        """
        return await self._post_model(
            self.endpoint(sandbox),
            "/api/input/click",
            DesktopPointerPosition,
            "click",
            http_timeout,
            body=ClickPointerRequest,
            fields={"x": x, "y": y, "button": button},
        )

    async def drag(
        self,
        sandbox: SandboxRef,
        *,
        from_x: int,
        from_y: int,
        to_x: int,
        to_y: int,
        button: int | None = None,
        http_timeout: float | None = None,
    ) -> DesktopPointerPosition:
        """Press ``button`` (1..3) at ``from_x``, ``from_y``, move to ``to_x``, ``to_y``, let go."""
        return await self._post_model(
            self.endpoint(sandbox),
            "/api/input/drag",
            DesktopPointerPosition,
            "drag",
            http_timeout,
            body=DragPointerRequest,
            fields={
                "from_x": from_x,
                "from_y": from_y,
                "to_x": to_x,
                "to_y": to_y,
                "button": button,
            },
        )

    async def scroll(
        self,
        sandbox: SandboxRef,
        *,
        direction: str,
        amount: int | None = None,
        http_timeout: float | None = None,
    ) -> DesktopPointerPosition:
        """Turn the wheel ``amount`` steps (1..100, server default 1) at the pointer.

        ``direction`` is ``up``, ``down``, ``left`` or ``right``.
        """
        return await self._post_model(
            self.endpoint(sandbox),
            "/api/input/scroll",
            DesktopPointerPosition,
            "scroll",
            http_timeout,
            body=ScrollPointerRequest,
            fields={"direction": direction, "amount": amount},
        )

    async def type_text(
        self, sandbox: SandboxRef, *, text: str, http_timeout: float | None = None
    ) -> bool:
        """Type ``text`` (at most 50,000 characters) as keyboard input; the server's ``ok``.

        The server answers once it has typed everything, at xdotool's pace, so without an
        ``http_timeout`` the call waits the client's default plus
        :data:`TYPING_SECONDS_PER_CHARACTER` for each character (50,000 take about two
        minutes on the local host). Not retried, so a text is never typed twice.
        """
        if http_timeout is None:
            http_timeout = self._transport.timeout + len(text) * TYPING_SECONDS_PER_CHARACTER
        return await self._post_ok(
            self.endpoint(sandbox),
            "/api/input/type",
            "type text",
            http_timeout,
            TypeTextRequest,
            {"text": text},
        )

    async def press_key(
        self, sandbox: SandboxRef, *, key: str, http_timeout: float | None = None
    ) -> bool:
        """Press and release one key by X11 keysym name (``Return``, ``Escape``); its ``ok``."""
        return await self._post_ok(
            self.endpoint(sandbox),
            "/api/input/press",
            "press key",
            http_timeout,
            PressKeyRequest,
            {"key": key},
        )

    async def hotkey(
        self, sandbox: SandboxRef, *, keys: list[str], http_timeout: float | None = None
    ) -> bool:
        """Press 1..10 keys together (``["ctrl", "l"]``); the server joins them with ``+``."""
        return await self._post_ok(
            self.endpoint(sandbox),
            "/api/input/hotkey",
            "hotkey",
            http_timeout,
            HotkeyRequest,
            {"keys": keys},
        )

    # ── recordings ──

    async def recording_status(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopRecordingStatus:
        """The current recording, or the most recent one (``active`` says which)."""
        return await self._get_model(
            self.endpoint(sandbox),
            "/api/recording",
            DesktopRecordingStatus,
            "recording status",
            http_timeout,
        )

    async def start_recording(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopRecordingStatus:
        """Start recording the screen to an MP4; the server answers 201.

        Raises :class:`~core.errors.Leap0ConflictError` when a recording is already active
        (one at a time). Not retried.
        """
        return await self._post_model(
            self.endpoint(sandbox),
            "/api/recording/start",
            DesktopRecordingStatus,
            "start recording",
            http_timeout,
            expected=(201,),
        )

    async def stop_recording(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopRecordingStatus:
        """Stop the active recording (the server finalises the MP4); returns its status.

        Raises :class:`~core.errors.Leap0ConflictError` when none is active. Not retried.
        """
        return await self._post_model(
            self.endpoint(sandbox),
            "/api/recording/stop",
            DesktopRecordingStatus,
            "stop recording",
            http_timeout,
        )

    async def recordings(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> list[DesktopRecordingSummary]:
        """The saved recordings, with their sizes in bytes."""
        listing = await self._get_model(
            self.endpoint(sandbox),
            "/api/recordings",
            RecordingsResponse,
            "list recordings",
            http_timeout,
        )
        return listing.items

    async def get_recording(
        self, sandbox: SandboxRef, recording_id: str, http_timeout: float | None = None
    ) -> DesktopRecordingSummary:
        """One recording's metadata. Raises :class:`~core.errors.Leap0NotFoundError` if none.

        ``recording_id`` is sent as one URL path segment; an empty id, ``.``, ``..``, one with
        ``/``, ``\\`` or control characters, or longer than 256 characters raises
        :class:`Leap0ValidationError` (field ``recording_id``) and nothing is sent.
        """
        return await self._get_model(
            self.endpoint(sandbox),
            recording_path(recording_id),
            DesktopRecordingSummary,
            "get recording",
            http_timeout,
        )

    async def download_recording(
        self, sandbox: SandboxRef, recording_id: str, http_timeout: float | None = None
    ) -> bytes:
        """A recording's MP4, whole, in memory. ``recording_id`` as :meth:`get_recording`.

        Holds the whole file in memory: for anything but small recordings use
        :meth:`download_recording_to`, which streams to disk.
        """
        endpoint = self.endpoint(sandbox)
        path = recording_path(recording_id) + "/download"
        response = await self._send(endpoint, "GET", path, "download recording", http_timeout)
        return response.content

    async def download_recording_to(
        self,
        sandbox: SandboxRef,
        recording_id: str,
        path: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
        overwrite: bool = False,
        http_timeout: float | None = None,
    ) -> Path:
        """Stream a recording to ``path``; see :func:`core.downloads.download_recording_to`."""
        from core.downloads import download_recording_to  # core.downloads imports this module

        saved: Path = await download_recording_to(
            self,
            sandbox,
            recording_id,
            path,
            progress=progress,
            overwrite=overwrite,
            http_timeout=http_timeout,
        )
        return saved

    async def delete_recording(
        self, sandbox: SandboxRef, recording_id: str, http_timeout: float | None = None
    ) -> None:
        """Delete a saved recording (the server answers 204). Not retried.

        Raises :class:`~core.errors.Leap0ConflictError` for the active recording and
        :class:`~core.errors.Leap0NotFoundError` for an unknown one. ``recording_id`` as
        :meth:`get_recording`.
        """
        endpoint = self.endpoint(sandbox)
        path = recording_path(recording_id)
        await self._send(
            endpoint, "DELETE", path, "delete recording", http_timeout, expected=(204,)
        )

    # ── health and processes ──

    async def health(self, sandbox: SandboxRef, http_timeout: float | None = None) -> DesktopHealth:
        """Whether the desktop's control server is up.

        A 503 is an answer, not a failure: its body is parsed (``DesktopHealth(ok=False)`` if
        it is not one) and it is not retried. Other failures raise as usual.
        """
        endpoint = self.endpoint(sandbox)
        response = await self._send(
            endpoint, "GET", "/api/healthz", "health check", http_timeout, expected=(200, 503)
        )
        if response.status_code == 503:
            try:
                return DesktopHealth.model_validate_json(response.content)
            except ValidationError:
                return DesktopHealth(ok=False)
        return parse_response(DesktopHealth, response, "health check", endpoint.label)

    async def process_status(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopProcessStatusList:
        """Every managed process (xvfb, xfce4, x11vnc, novnc) and the overall status."""
        return await self._get_model(
            self.endpoint(sandbox),
            "/api/status",
            DesktopProcessStatusList,
            "process status",
            http_timeout,
        )

    async def get_process(
        self, sandbox: SandboxRef, process_name: str, http_timeout: float | None = None
    ) -> DesktopProcessStatus:
        """One process's status.

        ``process_name`` is ``xvfb``, ``xfce4``, ``x11vnc`` or ``novnc``; anything else raises
        :class:`Leap0ValidationError` (field ``process_name``) and nothing is sent.
        """
        endpoint = self.endpoint(sandbox)
        path = _process_path(process_name, "status", endpoint, "get process")
        return await self._get_model(
            endpoint, path, DesktopProcessStatus, "get process", http_timeout
        )

    async def restart_process(
        self, sandbox: SandboxRef, process_name: str, http_timeout: float | None = None
    ) -> DesktopProcessRestart:
        """Restart one process (name as :meth:`get_process`) and return its new status.

        Restarting ``xvfb`` takes the processes drawing on it down with it for a moment.
        Not retried.
        """
        endpoint = self.endpoint(sandbox)
        path = _process_path(process_name, "restart", endpoint, "restart process")
        return await self._post_model(
            endpoint, path, DesktopProcessRestart, "restart process", http_timeout
        )

    async def process_logs(
        self, sandbox: SandboxRef, process_name: str, http_timeout: float | None = None
    ) -> DesktopProcessLogs:
        """A process's stdout log, as the server keeps it (name as :meth:`get_process`)."""
        endpoint = self.endpoint(sandbox)
        path = _process_path(process_name, "logs", endpoint, "process logs")
        return await self._get_model(
            endpoint, path, DesktopProcessLogs, "process logs", http_timeout
        )

    async def process_errors(
        self, sandbox: SandboxRef, process_name: str, http_timeout: float | None = None
    ) -> DesktopProcessErrors:
        """A process's stderr log, as the server keeps it (name as :meth:`get_process`)."""
        endpoint = self.endpoint(sandbox)
        path = _process_path(process_name, "errors", endpoint, "process errors")
        return await self._get_model(
            endpoint, path, DesktopProcessErrors, "process errors", http_timeout
        )

    # ── status stream ──

    async def status_stream(
        self,
        sandbox: SandboxRef,
        *,
        deadline: float | None = None,
        http_timeout: float | None = None,
    ) -> AsyncGenerator[DesktopProcessStatusList, None]:
        """Yield the process status from the desktop's SSE stream, as it arrives.

        The desktop sends an event on connect, on every change and every 2 s. ``http_timeout``
        is how long (seconds) the stream may go without an event before it counts as dead
        (default 10 s): then :class:`Leap0TimeoutError`. ``deadline`` is an absolute
        ``time.monotonic()``; once it passes, :class:`Leap0TimeoutError`, even while waiting.

        Ends when the server closes the stream (no reconnection here; see ``wait_until_ready``
        or the status feed). Raises :class:`Leap0StreamError` for ``event: error`` (with its
        text) and for a malformed event, :class:`Leap0ConnectionError` when the connection
        breaks. Use ``contextlib.aclosing`` to close the connection when leaving early.
        """
        endpoint = self.endpoint(sandbox)
        what = "status stream"
        read_timeout = STREAM_READ_TIMEOUT if http_timeout is None else http_timeout
        async with AsyncExitStack() as stack:
            stream = self._transport.stream(
                "GET",
                endpoint,
                "/api/status/stream",
                headers=_SSE_HEADERS,
                http_timeout=read_timeout,
                what=what,
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
                        f"{_describe(field_errors(exc))}",
                        desktop=endpoint.label,
                    ) from exc
                yield status

    async def wait_until_ready(
        self,
        sandbox: SandboxRef,
        *,
        timeout: float = 60.0,  # noqa: ASYNC109 (the seed's signature)
        http_timeout: float | None = None,
    ) -> None:
        """Return once the desktop's overall status is ``running`` (all four processes up).

        Follows the status stream; when it ends, breaks, goes silent for ``http_timeout``
        seconds (default 10), reports an error event, or the server answers 429 or 5xx, it
        reconnects with exponential back-off (the transport's retry policy, honouring
        ``Retry-After``). Raises :class:`Leap0TimeoutError` after ``timeout`` seconds in all,
        naming the last status and error seen. Anything else (401/403, 404, a bad sandbox
        reference) is raised at once.
        """
        endpoint = self.endpoint(sandbox)
        deadline = time.monotonic() + timeout
        last_status = "no status received"
        last_error = "none"
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                stream = self.status_stream(sandbox, deadline=deadline, http_timeout=http_timeout)
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
            await asyncio.sleep(min(remaining, self._transport.retry.delay(attempt, retry_after)))
            attempt += 1

    # ── private helpers: one request each way ──

    async def _send(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        what: str,
        http_timeout: float | None,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        expected: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        # Only GETs are idempotent here: input, recording and restart calls act on the desktop.
        return await self._transport.request(
            method,
            endpoint,
            path,
            params=params,
            json_body=json_body,
            http_timeout=http_timeout,
            expected=expected,
            idempotent=method == "GET",
            what=what,
        )

    async def _get_model[M: BaseModel](
        self,
        endpoint: Endpoint,
        path: str,
        model: type[M],
        what: str,
        http_timeout: float | None,
    ) -> M:
        """GET ``path`` and parse the JSON answer into ``model``."""
        response = await self._send(endpoint, "GET", path, what, http_timeout)
        return parse_response(model, response, what, endpoint.label)

    async def _post_model[M: BaseModel](
        self,
        endpoint: Endpoint,
        path: str,
        model: type[M],
        what: str,
        http_timeout: float | None,
        *,
        body: type[BaseModel] | None = None,
        fields: Mapping[str, object] | None = None,
        expected: tuple[int, ...] = (200,),
    ) -> M:
        """POST ``fields`` checked by ``body`` (or no body); parse the answer into ``model``."""
        payload = None if body is None else _validated(body, fields or {}, endpoint, what)
        response = await self._send(
            endpoint, "POST", path, what, http_timeout, json_body=payload, expected=expected
        )
        return parse_response(model, response, what, endpoint.label)

    async def _post_ok(
        self,
        endpoint: Endpoint,
        path: str,
        what: str,
        http_timeout: float | None,
        body: type[BaseModel],
        fields: Mapping[str, object],
    ) -> bool:
        """POST an input action and return the server's ``ok``."""
        answer = await self._post_model(
            endpoint, path, OkResponse, what, http_timeout, body=body, fields=fields
        )
        return answer.ok


# ── module helpers (no I/O) ──


def _is_url(ref: str) -> bool:
    return ref[:8].lower().startswith(("http://", "https://"))


def _refused(field: str, error: str, what: str) -> Leap0ValidationError:
    return Leap0ValidationError(
        f"{what} refused: {field}: {error}", errors=[FieldError(field=field, error=error)]
    )


def _desktop_base_url(url: str, field: str) -> str:
    """``url`` without its trailing ``/``, if it is an absolute http(s) URL a desktop can be at."""
    what = "desktop URL"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise _refused(field, f"{url!r} is not a URL ({exc})", what) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _refused(field, f"{url!r} is not an http:// or https:// URL with a host", what)
    if parsed.query or parsed.fragment:
        raise _refused(field, f"{url!r} must not carry a query or fragment", what)
    return str(parsed).rstrip("/")


def _has_control_chars(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def checked_sandbox_id(sandbox_id: object) -> str:
    """``sandbox_id`` if it can name a cloud sandbox's host, else :class:`Leap0ValidationError`."""
    what = "sandbox reference"
    if not isinstance(sandbox_id, str):
        raise _refused(
            "sandbox", "expected a sandbox id, a desktop URL, or an object with an id", what
        )
    if not sandbox_id:
        raise _refused("sandbox", "the sandbox id is empty", what)
    if ".." in sandbox_id or not _SANDBOX_ID.fullmatch(sandbox_id):
        raise _refused(
            "sandbox",
            f"{sandbox_id!r} is not a sandbox id (letters, digits, '-', '_' and '.' only, "
            "no '..'); a self-hosted desktop is named by its http(s):// URL",
            what,
        )
    return sandbox_id


def recording_path(recording_id: str) -> str:
    """``/api/recordings/{recording_id}``, the id checked and percent-encoded as one segment."""
    what = "recording id"
    problem = None
    if not isinstance(recording_id, str) or not recording_id:
        problem = "must be a non-empty string"
    elif recording_id in (".", ".."):
        problem = f"{recording_id!r} is not a recording id"
    elif "/" in recording_id or "\\" in recording_id:
        problem = "must not contain '/' or '\\'"
    elif _has_control_chars(recording_id):
        problem = "must not contain control characters"
    elif len(recording_id) > MAX_RECORDING_ID_LENGTH:
        problem = f"longer than {MAX_RECORDING_ID_LENGTH} characters"
    if problem:
        raise _refused("recording_id", problem, what)
    return "/api/recordings/" + quote(recording_id, safe="")


def _process_path(process_name: str, action: str, endpoint: Endpoint, what: str) -> str:
    """``/api/process/{process_name}/{action}``, the name checked against the known four."""
    param = _validated(ProcessNameParam, {"process_name": process_name}, endpoint, what)
    return f"/api/process/{quote(param['process_name'], safe='')}/{action}"


def _validated(
    model: type[BaseModel], fields: Mapping[str, object], endpoint: Endpoint, what: str
) -> dict[str, Any]:
    """``fields`` checked by ``model``, as JSON-ready data holding only the ones given.

    ``None`` means "not given", so the server's defaults apply. Raises
    :class:`Leap0ValidationError` naming every refused field.
    """
    given = {name: value for name, value in fields.items() if value is not None}
    try:
        checked = model.model_validate(given)
    except ValidationError as exc:
        label = endpoint.label
        raise validation_error(
            exc, f"{what} refused before sending to {label}", desktop=label
        ) from exc
    return checked.model_dump(mode="json", exclude_unset=True)


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
                "(the desktop sends one every 2 s); the stream looks dead"
            )
        raise Leap0TimeoutError(message, desktop=endpoint.label) from exc


def _describe(errors: list[FieldError]) -> str:
    return "; ".join(f"{e.field}: {e.error}" for e in errors[:5])


def _describe_status(status: DesktopProcessStatusList) -> str:
    down = [item.name for item in status.items if not item.running]
    text = f"status {status.status}, {status.running} of {status.total} processes running"
    return text + (f" ({', '.join(down)} down)" if down else "")
