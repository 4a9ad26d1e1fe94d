"""A desktop API double with state, for what the real host cannot do on demand.

The dashboard's failure paths (401, 404, 409, a dropped stream, a malformed event, a
silent desktop) and its snapshots (fixed pids, logs, windows and screenshot, so the
picture is the same on every run) need a desktop that misbehaves, or holds still, when
told. :class:`StatefulDesktop` is an ASGI app with four processes, logs that grow, and
switches for each failure; serve it on loopback with ``tests.support.loopback.serve``.

The test thread changes its state while uvicorn serves it from another thread: every
switch is a plain attribute, and the status stream notices changes by polling a version
counter every 20 ms.
"""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from core.routes import Routes, ViewerRoutes

PROCESSES = ("xvfb", "xfce4", "x11vnc", "novnc")
TOKEN = "fake-token"


@dataclass
class FakeProcess:
    running: bool = True
    pid: int | None = None
    stdout: str = ""
    stderr: str = ""


def _screen_image(width: int = 1440, height: int = 900) -> Image.Image:
    """A fixed picture of a desktop: a panel, a window, some colour."""
    image = Image.new("RGB", (width, height), (38, 52, 74))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 27), fill=(220, 224, 230))
    draw.rectangle((300, 180, 1100, 700), fill=(245, 245, 245), outline=(60, 60, 60), width=4)
    draw.rectangle((300, 180, 1100, 215), fill=(70, 110, 190))
    draw.ellipse((1180, 600, 1380, 800), fill=(240, 170, 40))
    for i in range(8):
        draw.rectangle((340, 250 + 50 * i, 340 + 90 * (i + 1), 280 + 50 * i), fill=(90, 90, 90))
    return image


@dataclass
class StatefulDesktop:
    """The state behind the fake desktop API; flip attributes to make it misbehave."""

    token: str = TOKEN
    url: str = ""
    """Where it is served (set by the fixture)."""
    processes: dict[str, FakeProcess] = field(default_factory=dict)
    fail_status: int | None = None
    """Answer every request (but the stream, see ``stream_status``) with this status."""
    stream_status: int | None = None
    """Answer the status stream with this status."""
    restart_status: int | None = None
    """Answer restarts with this status (409: "not now")."""
    stream_mode: str = "normal"
    """``normal``; ``malformed`` (one bad event, then normal ones); ``error`` (an
    ``event: error``); ``drop`` (one event, then the connection breaks); ``silent`` (one
    event, then nothing at all); ``closed`` (no events: the stream ends at once). Open
    streams end at their next tick when the mode leaves ``normal``."""
    heartbeat: float = 2.0
    version: int = 0
    requests: list[str] = field(default_factory=list)
    tickets: int = 0
    """Viewer tickets handed out."""
    windows: list[dict[str, Any]] = field(default_factory=list)
    recordings: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.processes:
            self.processes = {
                name: FakeProcess(pid=4100 + 10 * i, stdout=f"{name} started\n")
                for i, name in enumerate(PROCESSES)
            }
            self.processes[
                "xvfb"
            ].stderr = "_XSERVTransmkdir: Owner of /tmp/.X11-unix should be set to root\n"
        if not self.windows:
            self.windows = [
                {
                    "id": "0x00a00003",
                    "class": "Xfce4-panel.Xfce4-panel",
                    "title": "xfce4-panel",
                    "x": 0,
                    "y": 0,
                    "width": 1440,
                    "height": 27,
                    "focused": False,
                },
                {
                    "id": "0x01200004",
                    "class": "xfce4-terminal.Xfce4-terminal",
                    "title": "Terminal",
                    "x": 300,
                    "y": 180,
                    "width": 800,
                    "height": 520,
                    "focused": True,
                },
                {
                    "id": "0x00c00005",
                    "class": "xfdesktop.Xfdesktop",
                    "title": "Desktop",
                    "x": 0,
                    "y": 0,
                    "width": 1440,
                    "height": 900,
                    "focused": False,
                },
            ]
        if not self.recordings:
            self.recordings = [
                {
                    "id": "rec_1795947300000",
                    "file_name": "rec_1795947300000.mp4",
                    "size_bytes": 2_457_600,
                    "created_at": "2026-11-28T10:15:00Z",
                    "active": False,
                },
            ]
        buffer = io.BytesIO()
        _screen_image().save(buffer, "JPEG", quality=80)
        self._jpeg = buffer.getvalue()
        buffer = io.BytesIO()
        _screen_image().save(buffer, "PNG", compress_level=1)
        self._png = buffer.getvalue()

    # ── changing the state (from the test's thread) ──

    def changed(self) -> None:
        self.version += 1

    def kill(self, name: str) -> None:
        proc = self.processes[name]
        proc.running, proc.pid = False, None
        proc.stderr += f"{name}: killed\n"
        self.changed()

    def write(self, name: str, stdout: str = "", stderr: str = "") -> None:
        self.processes[name].stdout += stdout
        self.processes[name].stderr += stderr

    # ── payloads ──

    def status(self) -> dict[str, Any]:
        items = [
            {
                "name": name,
                "running": proc.running,
                "pid": proc.pid,
                "stdout_log": f"/run/leap0/logs/{name}.stdout.log",
                "stderr_log": f"/run/leap0/logs/{name}.stderr.log",
            }
            for name, proc in self.processes.items()
        ]
        running = sum(1 for item in items if item["running"])
        overall = "running" if running == len(items) else ("stopped" if not running else "degraded")
        return {"status": overall, "items": items, "running": running, "total": len(items)}

    # ── the app ──

    def app(self) -> Starlette:
        """The routes it serves, from the API's route table (the rest answer 404)."""
        handlers = {
            Routes.HEALTH: self._health,
            Routes.DISPLAY: self._display,
            Routes.SCREEN: self._display,
            Routes.WINDOWS: self._windows,
            Routes.SCREENSHOT: self._screenshot,
            Routes.POINTER: self._position,
            Routes.RECORDING_STATUS: self._recording,
            Routes.RECORDINGS: self._recordings,
            Routes.STATUS: self._status,
            Routes.STATUS_STREAM: self._stream,
            Routes.PROCESS_STATUS: self._process,
            Routes.RESTART_PROCESS: self._restart,
            Routes.PROCESS_LOGS: self._logs,
            Routes.PROCESS_ERRORS: self._errors,
            ViewerRoutes.TICKET: self._viewer_ticket,
        }
        return Starlette(
            routes=[
                Route(route.pattern(), handler, methods=[route.method])
                for route, handler in handlers.items()
            ]
        )

    def _refused(self, request: Request, *, stream: bool = False) -> Response | None:
        self.requests.append(request.url.path)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"message": "invalid token"}, status_code=401)
        status = self.stream_status if stream else self.fail_status
        if status is not None:
            return JSONResponse({"message": f"failing on purpose ({status})"}, status_code=status)
        return None

    async def _health(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse({"ok": True})

    async def _viewer_ticket(self, request: Request) -> Response:
        self.tickets += 1
        ticket = f"ticket-{self.tickets}"
        return self._refused(request) or JSONResponse(
            {"ticket": ticket, "path": f"/viewer/?ticket={ticket}", "expires_in": 60}
        )

    async def _display(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse(
            {"display": ":99", "width": 1440, "height": 900}
        )

    async def _windows(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse({"items": self.windows})

    async def _screenshot(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        if request.query_params.get("format") in ("jpg", "jpeg"):
            return Response(self._jpeg, media_type="image/jpeg")
        return Response(self._png, media_type="image/png")

    async def _position(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse({"x": 712, "y": 455})

    async def _recording(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse({"active": False})

    async def _recordings(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse({"items": self.recordings})

    async def _status(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse(self.status())

    def _named(self, request: Request) -> tuple[str, FakeProcess | None]:
        name = request.path_params["process_name"]
        return name, self.processes.get(name)

    async def _process(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        name, proc = self._named(request)
        if proc is None:
            return JSONResponse({"message": f"no process {name}"}, status_code=404)
        return JSONResponse(next(i for i in self.status()["items"] if i["name"] == name))

    async def _restart(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        name, proc = self._named(request)
        if proc is None:
            return JSONResponse({"message": f"no process {name}"}, status_code=404)
        if self.restart_status is not None:
            return JSONResponse(
                {"message": f"cannot restart {name} now"}, status_code=self.restart_status
            )
        await asyncio.sleep(0.2)
        proc.running, proc.pid = True, (proc.pid or 5000) + 1
        proc.stdout += f"{name} restarted\n"
        self.changed()
        item = next(i for i in self.status()["items"] if i["name"] == name)
        return JSONResponse({"message": f"{name} restarted", "status": item})

    async def _logs(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        name, proc = self._named(request)
        if proc is None:
            return JSONResponse({"message": f"no process {name}"}, status_code=404)
        return JSONResponse({"process": name, "logs": proc.stdout})

    async def _errors(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        name, proc = self._named(request)
        if proc is None:
            return JSONResponse({"message": f"no process {name}"}, status_code=404)
        return JSONResponse({"process": name, "errors": proc.stderr})

    async def _stream(self, request: Request) -> Response:
        if refused := self._refused(request, stream=True):
            return refused
        mode = self.stream_mode

        async def events() -> Any:
            if mode == "closed":
                return
            if mode == "error":
                yield "event: error\ndata: supervisor is restarting\n\n"
                return
            if mode == "malformed":
                yield 'data: {"status": "sideways"}\n\n'
                return
            yield f"data: {json.dumps(self.status())}\n\n"
            if mode == "drop":
                raise ConnectionResetError("dropped on purpose")
            if mode == "silent":
                await asyncio.sleep(3600)
            seen = self.version
            waited = 0.0
            while True:
                await asyncio.sleep(0.02)
                waited += 0.02
                if self.version != seen or waited >= self.heartbeat:
                    seen, waited = self.version, 0.0
                    if self.stream_mode != "normal":
                        return
                    yield f"data: {json.dumps(self.status())}\n\n"

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"cache-control": "no-store"}
        )
