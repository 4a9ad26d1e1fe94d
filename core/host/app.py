"""The desktop API over HTTP (Starlette): every route of ``leap0-desktop.openapi.yaml``.

Every request needs ``Authorization: Bearer <token>`` (:mod:`core.host.auth`; 401
otherwise), except the browser's viewer under ``/viewer/`` and ``/``, which has a ticket
and a cookie of its own (:mod:`core.host.viewer`).

Answers: JSON bodies as the spec draws them (fields without a value are left out);
validation failures 400 ``{"message", "errors": [{"field", "error"}]}``, every other
failure ``{"message"}`` with 401, 404, 405, 409, 413 or 503. No route answers 500: an
unexpected exception is logged with its traceback and answered 503.

Request bodies are validated with the request models of :mod:`core.models`, the same
classes the client validates with, so each limit of the spec is written once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core.host.auth import BearerAuth
from core.host.errors import HostError, HostValidationError
from core.host.host import DesktopHost
from core.host.recorder import MIME_TYPE
from core.host.screen import Encoding, Region, media_type
from core.host.viewer import Viewer
from core.models import (
    ClickPointerRequest,
    DesktopDisplayInfo,
    DesktopHealth,
    DesktopProcessErrors,
    DesktopProcessLogs,
    DesktopProcessRestart,
    DragPointerRequest,
    FieldError,
    HotkeyRequest,
    MovePointerRequest,
    OkResponse,
    PressKeyRequest,
    ProcessName,
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
from core.routes import ApiRoute, Routes

__all__ = ["HEARTBEAT_SECONDS", "LOG_TAIL_BYTES", "MAX_BODY_BYTES", "create_app"]

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
"""The status stream sends the status at least this often (seconds)."""

MAX_BODY_BYTES = 1 << 20
"""Largest request body accepted (50,000 characters of text fit, even escaped)."""

LOG_TAIL_BYTES = 256 * 1024
"""The logs and errors routes answer with at most this much of the end of a log."""

Endpoint = Callable[[Request], Awaitable[Response]]


class _TooLarge(HostError):
    status = 413


# ── answers ────────────────────────────────────────────────────────────────────


def _json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(
        model.model_dump_json(by_alias=True, exclude_none=True),
        status_code=status_code,
        media_type="application/json",
    )


def _message(message: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"message": message}, status_code=status_code, headers=headers)


def _invalid(errors: list[FieldError], message: str = "Invalid request") -> Response:
    return JSONResponse(
        {"message": message, "errors": [e.model_dump() for e in errors]}, status_code=400
    )


def _endpoint(func: Endpoint) -> Endpoint:
    """Map every failure of ``func`` to its answer; nothing escapes as a 500."""

    @functools.wraps(func)
    async def wrapper(request: Request) -> Response:
        try:
            return await func(request)
        except HostValidationError as exc:
            return _invalid(exc.errors, exc.message)
        except HostError as exc:
            return _message(exc.message, exc.status)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as exc:
            log.exception("%s %s failed", request.method, request.url.path)
            return _message(f"internal error: {type(exc).__name__}: {exc}", 503)

    return wrapper


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _message(str(exc.detail), exc.status_code, dict(exc.headers or {}))


# ── reading requests ───────────────────────────────────────────────────────────


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge(f"request body over {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge(f"request body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _body[M: BaseModel](request: Request, model: type[M]) -> M:
    """The JSON body validated by ``model``.

    Every route with a body has it required by the spec: an empty body is refused (``{}``
    asks for the defaults). No field of the spec is nullable: ``"quality": null`` is
    refused like any other value of the wrong type, not taken as "not given".
    """
    raw = await _read_body(request)
    if not raw.strip():
        raise HostValidationError.one("body", "required: send a JSON object ({} for defaults)")
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except ValueError as exc:  # broken JSON, NaN or Infinity, not UTF-8
        raise HostValidationError.one("body", f"not valid JSON: {exc}") from None
    if isinstance(data, dict):
        # JSON Schema's integer is a number without a fraction: 1191.0 is one (the
        # models are strict, so they would refuse it; 800.5 and true stay refused).
        data = {k: _integral(v) for k, v in data.items()}
    try:
        body = model.model_validate(data)
    except ValidationError as exc:
        raise HostValidationError(field_errors(exc)) from None
    nulls = [name for name in sorted(body.model_fields_set) if getattr(body, name) is None]
    if nulls:
        raise HostValidationError(
            [FieldError(field=name, error="must not be null (leave it out)") for name in nulls]
        )
    return body


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _integral(value: object) -> object:
    """``value`` as an ``int`` when it is a float without a fraction (and finite)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _process_name(request: Request) -> ProcessName:
    try:
        return ProcessNameParam(process_name=request.path_params["process_name"]).process_name
    except ValidationError as exc:
        raise HostValidationError(field_errors(exc)) from None


def _check_point(x: int, y: int, width: int, height: int, names: tuple[str, str]) -> None:
    errors: list[FieldError] = []
    if x >= width:
        errors.append(FieldError(field=names[0], error=f"must be below the screen width {width}"))
    if y >= height:
        errors.append(FieldError(field=names[1], error=f"must be below the screen height {height}"))
    if errors:
        raise HostValidationError(errors)


def _check_region(region: Region, width: int, height: int) -> None:
    _check_point(region.x, region.y, width, height, ("x", "y"))
    errors: list[FieldError] = []
    if region.x + region.width > width:
        errors.append(
            FieldError(
                field="width",
                error=f"x + width = {region.x + region.width} is beyond the screen width {width}",
            )
        )
    if region.y + region.height > height:
        errors.append(
            FieldError(
                field="height",
                error=(
                    f"y + height = {region.y + region.height} is beyond the screen height {height}"
                ),
            )
        )
    if errors:
        raise HostValidationError(errors)


async def _unless_disconnected(request: Request, work: Awaitable[None]) -> None:
    """Await ``work``, cancelling it if the client disconnects meanwhile."""
    task = asyncio.ensure_future(work)
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=0.5)
            if not task.done() and await request.is_disconnected():
                log.info("%s: the client went away; stopping", request.url.path)
                task.cancel()
                raise ClientDisconnect()
        task.result()
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# ── routes ─────────────────────────────────────────────────────────────────────


class _AnySegments(Convertor[str]):
    """Any text, ``/`` and control characters included (Starlette's ``path`` is ``.*``,
    which stops at a newline)."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("any_segments", _AnySegments())

_CONVERTORS = {"process_name": "any_segments"}
"""Starlette convertors by parameter: a process name with a ``/`` (``..%2Fetc``) or a
control character (``%0A``) in it still reaches its route and is refused as a bad
``process_name`` (400, as the spec says), not a bare 404."""


def _pattern(route: ApiRoute) -> str:
    convertors = {_CONVERTORS[p] for p in route.parameters if p in _CONVERTORS}
    return route.pattern(convertors.pop() if convertors else None)


def _by_method(endpoints: dict[str, Endpoint]) -> Endpoint:
    """One endpoint answering each method with its own (HEAD with GET's)."""
    if len(endpoints) == 1:
        return next(iter(endpoints.values()))

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return endpoint


class _Routes:
    """The endpoints, bound to one :class:`DesktopHost`."""

    def __init__(self, host: DesktopHost) -> None:
        self.host = host

    def routes(self) -> list[Route]:
        """Every route of :class:`Routes`.

        Raises ``KeyError`` at start-up for a route of the table with no endpoint here.
        """
        endpoints: dict[ApiRoute, Endpoint] = {
            Routes.HEALTH: self.health,
            Routes.DISPLAY: self.display,
            Routes.SCREEN: self.display,
            Routes.RESIZE_SCREEN: self.resize,
            Routes.WINDOWS: self.windows,
            Routes.SCREENSHOT: self.screenshot,
            Routes.SCREENSHOT_REGION: self.screenshot_region,
            Routes.POINTER: self.position,
            Routes.MOVE: self.move,
            Routes.CLICK: self.click,
            Routes.DRAG: self.drag,
            Routes.SCROLL: self.scroll,
            Routes.TYPE: self.type_text,
            Routes.PRESS: self.press,
            Routes.HOTKEY: self.hotkey,
            Routes.RECORDING_STATUS: self.recording_status,
            Routes.RECORDING_START: self.recording_start,
            Routes.RECORDING_STOP: self.recording_stop,
            Routes.RECORDINGS: self.recordings,
            Routes.RECORDING: self.recording,
            Routes.DELETE_RECORDING: self.recording_delete,
            Routes.DOWNLOAD_RECORDING: self.recording_download,
            Routes.STATUS: self.status,
            Routes.STATUS_STREAM: self.status_stream,
            Routes.PROCESS_STATUS: self.process,
            Routes.RESTART_PROCESS: self.restart,
            Routes.PROCESS_LOGS: self.logs,
            Routes.PROCESS_ERRORS: self.errors,
        }
        # One Starlette route per path, so a 405 lists every method the path has in its
        # Allow header (two routes on one path would each list only their own).
        by_path: dict[str, dict[str, Endpoint]] = {}
        for route in Routes.all():
            by_path.setdefault(_pattern(route), {})[route.method] = _endpoint(endpoints[route])
        return [
            Route(path, _by_method(methods), methods=list(methods))
            for path, methods in by_path.items()
        ]

    # ── health, display ──

    async def health(self, request: Request) -> Response:
        return _json(DesktopHealth(ok=True))

    async def display(self, request: Request) -> Response:
        display = self.host.display()
        width, height = self.host.screen_size()
        return _json(DesktopDisplayInfo(display=display, width=width, height=height))

    async def resize(self, request: Request) -> Response:
        body = await _body(request, ResizeScreenRequest)
        await self.host.resize(body.width, body.height)
        return await self.display(request)

    async def windows(self, request: Request) -> Response:
        return _json(WindowsResponse(items=await self.host.windows()))

    # ── screenshots ──

    async def screenshot(self, request: Request) -> Response:
        try:
            query = ScreenshotQuery.model_validate(dict(request.query_params))
        except ValidationError as exc:
            raise HostValidationError(field_errors(exc)) from None
        width, height = self.host.screen_size()
        if query.width and query.height:
            region = Region(query.x or 0, query.y or 0, query.width, query.height)
        elif query.x or query.y:
            raise HostValidationError.one(
                "width", "a region needs width and height (both 0 means the full screen)"
            )
        else:
            region = Region(0, 0, width, height)
        return await self._capture(region, query.format, query.quality)

    async def screenshot_region(self, request: Request) -> Response:
        body = await _body(request, RegionScreenshotRequest)
        region = Region(body.x, body.y, body.width, body.height)
        return await self._capture(region, body.format or "png", body.quality)

    async def _capture(self, region: Region, image_format: str, quality: int | None) -> Response:
        self.host.display()  # no display (503) comes before a region off the screen (400)
        width, height = self.host.screen_size()
        _check_region(region, width, height)
        encoding: Encoding = "png" if image_format == "png" else "jpeg"
        started = time.perf_counter()
        data = await self.host.screenshot(region, encoding, quality)
        took = (time.perf_counter() - started) * 1000
        headers = {"Cache-Control": "no-store", "Server-Timing": f"capture;dur={took:.1f}"}
        return Response(data, media_type=media_type(encoding), headers=headers)

    # ── input ──

    def _check_pointer(self, x: int, y: int, names: tuple[str, str] = ("x", "y")) -> None:
        width, height = self.host.screen_size()
        _check_point(x, y, width, height, names)

    async def position(self, request: Request) -> Response:
        return _json(await self.host.pointer())

    async def move(self, request: Request) -> Response:
        body = await _body(request, MovePointerRequest)
        self._check_pointer(body.x, body.y)
        return _json(await self.host.move(body.x, body.y))

    async def click(self, request: Request) -> Response:
        body = await _body(request, ClickPointerRequest)
        if body.x is not None and body.y is not None:
            self._check_pointer(body.x, body.y)
        return _json(await self.host.click(body.x, body.y, body.button))

    async def drag(self, request: Request) -> Response:
        body = await _body(request, DragPointerRequest)
        self._check_pointer(body.from_x, body.from_y, ("from_x", "from_y"))
        self._check_pointer(body.to_x, body.to_y, ("to_x", "to_y"))
        return _json(
            await self.host.drag(body.from_x, body.from_y, body.to_x, body.to_y, body.button)
        )

    async def scroll(self, request: Request) -> Response:
        body = await _body(request, ScrollPointerRequest)
        return _json(await self.host.scroll(body.direction, body.amount))

    async def type_text(self, request: Request) -> Response:
        body = await _body(request, TypeTextRequest)
        # Long texts take a while: stop typing if the client gives up waiting.
        await _unless_disconnected(request, self.host.type_text(body.text))
        return _json(OkResponse(ok=True))

    async def press(self, request: Request) -> Response:
        body = await _body(request, PressKeyRequest)
        await self.host.press(body.key)
        return _json(OkResponse(ok=True))

    async def hotkey(self, request: Request) -> Response:
        body = await _body(request, HotkeyRequest)
        await self.host.hotkey(body.keys)
        return _json(OkResponse(ok=True))

    # ── recording ──

    async def recording_status(self, request: Request) -> Response:
        return _json(self.host.recording_status())

    async def recording_start(self, request: Request) -> Response:
        return _json(await self.host.start_recording(), 201)

    async def recording_stop(self, request: Request) -> Response:
        return _json(await self.host.stop_recording())

    async def recordings(self, request: Request) -> Response:
        return _json(RecordingsResponse(items=self.host.recordings()))

    async def recording(self, request: Request) -> Response:
        return _json(self.host.recording(request.path_params["recording_id"]))

    async def recording_delete(self, request: Request) -> Response:
        self.host.delete_recording(request.path_params["recording_id"])
        return Response(status_code=204)

    async def recording_download(self, request: Request) -> Response:
        recording_id = request.path_params["recording_id"]
        path = self.host.recording_file(recording_id)
        return FileResponse(path, media_type=MIME_TYPE, filename=path.name)

    # ── processes ──

    async def status(self, request: Request) -> Response:
        return _json(self.host.status())

    async def status_stream(self, request: Request) -> Response:
        host = self.host

        async def events() -> AsyncIterator[ServerSentEvent]:
            with host.subscribe() as subscription:
                while True:
                    if host.closing:
                        yield ServerSentEvent(
                            data="the desktop host is shutting down", event="error"
                        )
                        return
                    try:
                        data = host.status().model_dump_json(exclude_none=True)
                    except Exception as exc:
                        log.exception("status stream failed")
                        yield ServerSentEvent(data=f"cannot read the status: {exc}", event="error")
                        return
                    yield ServerSentEvent(data=data)
                    await subscription.wait(HEARTBEAT_SECONDS)

        return EventSourceResponse(
            events(), ping=0, sep="\n", headers={"Cache-Control": "no-store"}
        )

    async def process(self, request: Request) -> Response:
        return _json(self.host.process(_process_name(request)))

    async def restart(self, request: Request) -> Response:
        name = _process_name(request)
        info = await self.host.restart(name)
        return _json(DesktopProcessRestart(message=f"{name} restarted", status=info))

    async def logs(self, request: Request) -> Response:
        name = _process_name(request)
        logs = self.host.process_logs(name, LOG_TAIL_BYTES)
        return _json(DesktopProcessLogs(process=name, logs=logs))

    async def errors(self, request: Request) -> Response:
        name = _process_name(request)
        errors = self.host.process_errors(name, LOG_TAIL_BYTES)
        return _json(DesktopProcessErrors(process=name, errors=errors))


def create_app(host: DesktopHost) -> ASGIApp:
    """The ASGI app serving ``host``: the API behind :class:`BearerAuth` with the host's
    token, and the viewer (:class:`Viewer`) with its tickets and cookies."""
    handlers: dict[Any, Any] = {HTTPException: _http_exception}
    api = Starlette(routes=_Routes(host).routes(), exception_handlers=handlers)
    api.state.host = host
    guarded = BearerAuth(api, host.config.token)
    viewer = Viewer(host, host.config.novnc_web)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan" and Viewer.serves(scope["path"]):
            await viewer(scope, receive, send)
        else:
            await guarded(scope, receive, send)

    return app
