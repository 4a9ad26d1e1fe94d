"""``AsyncDesktopClient``: the seed's desktop API over one :class:`~core.transport.AsyncTransport`.

Every method resolves its :data:`~core.references.SandboxRef` with
:meth:`AsyncDesktopClient.endpoint`, validates its arguments with the request models of
:mod:`core.models` (nothing is sent when they are refused), sends one request to its route of
:class:`~core.routes.Routes` through the transport and parses the answer into a wire model.
Failures are raised as :mod:`core.errors`; only GETs are retried (by the transport). The status
stream and streaming downloads run in :mod:`core.status_stream` and :mod:`core.downloads`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, ValidationError

from core.defaults import (
    DEFAULT_DOWNLOAD_RETRY_SECONDS,
    DEFAULT_SANDBOX_DOMAIN,
    STREAM_READ_TIMEOUT,
)
from core.errors import Leap0NotFoundError
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
    HotkeyRequest,
    MovePointerRequest,
    OkResponse,
    PressKeyRequest,
    RecordingsResponse,
    RegionScreenshotRequest,
    ResizeScreenRequest,
    ScreenshotQuery,
    ScrollPointerRequest,
    TypeTextRequest,
    ViewerTicket,
    WindowsResponse,
)
from core.references import (
    MAX_RECORDING_ID_LENGTH,
    DesktopTarget,
    HasSandboxId,
    SandboxRef,
    checked_process_name,
    checked_recording_id,
    is_self_hosted,
    resolve,
    validated,
)
from core.routes import ApiRoute, Routes, ViewerRoutes
from core.transport import AsyncTransport, Endpoint, parse_response

if TYPE_CHECKING:
    from core.downloads import ProgressCallback

# core.downloads and core.status_stream (with httpx_sse) are imported by the methods that
# use them: a command that makes one request needs neither (1 % of its start-up).

__all__ = [
    "MAX_RECORDING_ID_LENGTH",
    "STREAM_READ_TIMEOUT",
    "TYPING_SECONDS_PER_CHARACTER",
    "AsyncDesktopClient",
    "DesktopTarget",
    "HasSandboxId",
    "SandboxRef",
]

TYPING_SECONDS_PER_CHARACTER = 0.005
"""What :meth:`AsyncDesktopClient.type_text` adds to its default timeout per character: about
twice what the local host takes (xdotool at 2 ms between characters)."""


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
        """Resolve a :data:`SandboxRef` to the base URL, token and label of its desktop, with
        this client's API key and sandbox domain (what is refused: :func:`core.references.resolve`).
        """
        return resolve(sandbox, api_key=self._transport.api_key, sandbox_domain=self.sandbox_domain)

    def desktop_url(self, sandbox: SandboxRef) -> str:
        """The browser URL of the desktop's viewer, served at the desktop's ``/``.

        It carries no token: a browser cannot send the header, and a token in a URL ends
        up in history and clipboards. For a self-hosted desktop use :meth:`viewer_url`,
        which opens it with a single-use ticket.
        """
        return self.endpoint(sandbox).base_url + "/"

    async def viewer_url(self, sandbox: SandboxRef, http_timeout: float | None = None) -> str:
        """The browser URL that opens the desktop's viewer, without the API token.

        A self-hosted desktop (the local host) gives a single-use ticket, valid for about
        a minute, which the browser exchanges for a cookie of the viewer alone. A cloud
        sandbox, or a self-hosted desktop that gives no tickets, is :meth:`desktop_url`.
        """
        if not is_self_hosted(sandbox):
            return self.desktop_url(sandbox)
        endpoint = self.endpoint(sandbox)
        try:
            ticket = await self._model(
                endpoint, ViewerRoutes.TICKET, ViewerTicket, "viewer ticket", http_timeout
            )
        except Leap0NotFoundError:
            return self.desktop_url(sandbox)
        return endpoint.base_url + ticket.path

    # ── display ──

    async def display_info(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopDisplayInfo:
        """The X11 display name and its size in pixels."""
        return await self._model(
            self.endpoint(sandbox), Routes.DISPLAY, DesktopDisplayInfo, "display info", http_timeout
        )

    async def screen(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopDisplayInfo:
        """The virtual screen's current size in pixels."""
        return await self._model(
            self.endpoint(sandbox),
            Routes.SCREEN,
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
        return await self._model(
            self.endpoint(sandbox),
            Routes.RESIZE_SCREEN,
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
        listing = await self._model(
            endpoint, Routes.WINDOWS, WindowsResponse, "list windows", http_timeout
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
        query = validated(
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
        response = await self._send(endpoint, Routes.SCREENSHOT, what, http_timeout, params=query)
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
        body = validated(
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
            endpoint, Routes.SCREENSHOT_REGION, what, http_timeout, json_body=body
        )
        return response.content

    # ── input (never retried: a retry could act twice) ──

    async def pointer_position(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> DesktopPointerPosition:
        """Where the pointer is, in screen pixels."""
        return await self._model(
            self.endpoint(sandbox),
            Routes.POINTER,
            DesktopPointerPosition,
            "pointer position",
            http_timeout,
        )

    async def move_pointer(
        self, sandbox: SandboxRef, *, x: int, y: int, http_timeout: float | None = None
    ) -> DesktopPointerPosition:
        """Move the pointer to ``x``, ``y`` (pixels, >= 0); returns where it ended up."""
        return await self._model(
            self.endpoint(sandbox),
            Routes.MOVE,
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
        return await self._model(
            self.endpoint(sandbox),
            Routes.CLICK,
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
        return await self._model(
            self.endpoint(sandbox),
            Routes.DRAG,
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
        return await self._model(
            self.endpoint(sandbox),
            Routes.SCROLL,
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
            Routes.TYPE,
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
            Routes.PRESS,
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
            Routes.HOTKEY,
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
        return await self._model(
            self.endpoint(sandbox),
            Routes.RECORDING_STATUS,
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
        return await self._model(
            self.endpoint(sandbox),
            Routes.RECORDING_START,
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
        return await self._model(
            self.endpoint(sandbox),
            Routes.RECORDING_STOP,
            DesktopRecordingStatus,
            "stop recording",
            http_timeout,
        )

    async def recordings(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> list[DesktopRecordingSummary]:
        """The saved recordings, with their sizes in bytes."""
        listing = await self._model(
            self.endpoint(sandbox),
            Routes.RECORDINGS,
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
        return await self._model(
            self.endpoint(sandbox),
            Routes.RECORDING,
            DesktopRecordingSummary,
            "get recording",
            http_timeout,
            path_params={"recording_id": checked_recording_id(recording_id)},
        )

    async def download_recording(
        self, sandbox: SandboxRef, recording_id: str, http_timeout: float | None = None
    ) -> bytes:
        """A recording's MP4, whole, in memory. ``recording_id`` as :meth:`get_recording`.

        Holds the whole file in memory: for anything but small recordings use
        :meth:`download_recording_to`, which streams to disk.
        """
        endpoint = self.endpoint(sandbox)
        response = await self._send(
            endpoint,
            Routes.DOWNLOAD_RECORDING,
            "download recording",
            http_timeout,
            path_params={"recording_id": checked_recording_id(recording_id)},
        )
        return response.content

    def recording_source(
        self, sandbox: SandboxRef, recording_id: str
    ) -> tuple[str, dict[str, str]]:
        """The URL of a recording's MP4 and the headers to read it with (the token in
        ``Authorization``), for a reader other than this client (PyAV's FFmpeg, which
        streams it with range requests). The token is never put in the URL. No I/O."""
        endpoint = self.endpoint(sandbox)
        path = Routes.DOWNLOAD_RECORDING.path(recording_id=checked_recording_id(recording_id))
        return endpoint.url(path), self._transport.headers(endpoint)

    async def download_recording_to(
        self,
        sandbox: SandboxRef,
        recording_id: str,
        path: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
        overwrite: bool = False,
        http_timeout: float | None = None,
        retry_seconds: float = DEFAULT_DOWNLOAD_RETRY_SECONDS,
    ) -> Path:
        """Stream a recording to ``path``, resuming by itself after a cut for up to
        ``retry_seconds``; see :func:`core.downloads.download_recording_to`."""
        from core import downloads

        return await downloads.download_recording_to(
            self,
            sandbox,
            recording_id,
            path,
            progress=progress,
            overwrite=overwrite,
            http_timeout=http_timeout,
            retry_seconds=retry_seconds,
        )

    async def delete_recording(
        self, sandbox: SandboxRef, recording_id: str, http_timeout: float | None = None
    ) -> None:
        """Delete a saved recording (the server answers 204). Not retried.

        Raises :class:`~core.errors.Leap0ConflictError` for the active recording and
        :class:`~core.errors.Leap0NotFoundError` for an unknown one. ``recording_id`` as
        :meth:`get_recording`.
        """
        endpoint = self.endpoint(sandbox)
        await self._send(
            endpoint,
            Routes.DELETE_RECORDING,
            "delete recording",
            http_timeout,
            path_params={"recording_id": checked_recording_id(recording_id)},
            expected=(204,),
        )

    # ── health and processes ──

    async def health(self, sandbox: SandboxRef, http_timeout: float | None = None) -> DesktopHealth:
        """Whether the desktop's control server is up.

        A 503 is an answer, not a failure: its body is parsed (``DesktopHealth(ok=False)`` if
        it is not one) and it is not retried. Other failures raise as usual.
        """
        endpoint = self.endpoint(sandbox)
        response = await self._send(
            endpoint, Routes.HEALTH, "health check", http_timeout, expected=(200, 503)
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
        return await self._model(
            self.endpoint(sandbox),
            Routes.STATUS,
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
        return await self._process_model(
            sandbox,
            process_name,
            Routes.PROCESS_STATUS,
            DesktopProcessStatus,
            "get process",
            http_timeout,
        )

    async def restart_process(
        self, sandbox: SandboxRef, process_name: str, http_timeout: float | None = None
    ) -> DesktopProcessRestart:
        """Restart one process (name as :meth:`get_process`) and return its new status.

        Restarting ``xvfb`` takes the processes drawing on it down with it for a moment.
        Not retried.
        """
        return await self._process_model(
            sandbox,
            process_name,
            Routes.RESTART_PROCESS,
            DesktopProcessRestart,
            "restart process",
            http_timeout,
        )

    async def process_logs(
        self, sandbox: SandboxRef, process_name: str, http_timeout: float | None = None
    ) -> DesktopProcessLogs:
        """A process's stdout log, as the server keeps it (name as :meth:`get_process`)."""
        return await self._process_model(
            sandbox,
            process_name,
            Routes.PROCESS_LOGS,
            DesktopProcessLogs,
            "process logs",
            http_timeout,
        )

    async def process_errors(
        self, sandbox: SandboxRef, process_name: str, http_timeout: float | None = None
    ) -> DesktopProcessErrors:
        """A process's stderr log, as the server keeps it (name as :meth:`get_process`)."""
        return await self._process_model(
            sandbox,
            process_name,
            Routes.PROCESS_ERRORS,
            DesktopProcessErrors,
            "process errors",
            http_timeout,
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
        from core import status_stream

        events = status_stream.status_events(
            self._transport, self.endpoint(sandbox), deadline=deadline, http_timeout=http_timeout
        )
        async with aclosing(events):
            async for status in events:
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
        from core import status_stream

        await status_stream.wait_until_ready(
            self._transport, self.endpoint(sandbox), timeout=timeout, http_timeout=http_timeout
        )

    # ── private helpers: one request each ──

    async def _send(
        self,
        endpoint: Endpoint,
        route: ApiRoute,
        what: str,
        http_timeout: float | None,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        expected: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        """Send ``route`` with its ``path_params`` (checked already) filled in."""
        # Only GETs are idempotent here: input, recording and restart calls act on the desktop.
        return await self._transport.request(
            route.method,
            endpoint,
            route.path(**(path_params or {})),
            params=params,
            json_body=json_body,
            http_timeout=http_timeout,
            expected=expected,
            idempotent=route.method == "GET",
            what=what,
        )

    async def _model[M: BaseModel](
        self,
        endpoint: Endpoint,
        route: ApiRoute,
        model: type[M],
        what: str,
        http_timeout: float | None,
        *,
        path_params: Mapping[str, str] | None = None,
        body: type[BaseModel] | None = None,
        fields: Mapping[str, object] | None = None,
        expected: tuple[int, ...] = (200,),
    ) -> M:
        """Send ``fields`` checked by ``body`` (or no body); parse the answer into ``model``."""
        payload = None if body is None else validated(body, fields or {}, endpoint, what)
        response = await self._send(
            endpoint,
            route,
            what,
            http_timeout,
            path_params=path_params,
            json_body=payload,
            expected=expected,
        )
        return parse_response(model, response, what, endpoint.label)

    async def _process_model[M: BaseModel](
        self,
        sandbox: SandboxRef,
        process_name: str,
        route: ApiRoute,
        model: type[M],
        what: str,
        http_timeout: float | None,
    ) -> M:
        """A process route: the name checked before anything is sent, the answer parsed."""
        endpoint = self.endpoint(sandbox)
        name = checked_process_name(process_name, endpoint, what)
        return await self._model(
            endpoint, route, model, what, http_timeout, path_params={"process_name": name}
        )

    async def _post_ok(
        self,
        endpoint: Endpoint,
        route: ApiRoute,
        what: str,
        http_timeout: float | None,
        body: type[BaseModel],
        fields: Mapping[str, object],
    ) -> bool:
        """Send an input action and return the server's ``ok``."""
        answer = await self._model(
            endpoint, route, OkResponse, what, http_timeout, body=body, fields=fields
        )
        return answer.ok
