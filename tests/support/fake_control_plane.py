"""A fake Leap0 account over real HTTP: the control plane's listing and many cheap fake desktops.

One ASGI app (:class:`FakeCloud`) serves

* ``GET /v1/sandboxes`` as ``leap0-control-plane.openapi.yaml`` says (``page``, ``page-size``
  up to 100, ``state``, ``sort``, ``order-by``; ``total_items``; 400 for a bad parameter,
  401 without the key), over N sandboxes whose states change on demand;
* a desktop for each of the first ``desktops`` sandboxes under ``/desktops/{id}``:
  ``GET /api/status``, ``GET /api/status/stream`` (an event on connect, on each change and
  every ``heartbeat``, as the desktop spec says), ``GET /api/recording``, recording
  start/stop, ``POST /api/process/{name}/restart`` and ``GET /api/screenshot`` (a real
  PNG or JPEG of ``screen`` pixels made with Pillow, its own colours per desktop), with a bearer
  token, each desktop breakable on demand (wrong token, silent stream);
* ``/_fake/...`` control routes, so a benchmark can drive a server in another process.

The routes' paths come from :mod:`core.routes`. Mutators are safe to call from the test's
thread while uvicorn serves from its own (``tests/support/loopback.py``); run
``python -m tests.support.fake_control_plane`` for a server in a process of its own (it
prints its URL).
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from core.models import PROCESS_NAMES
from core.routes import Routes

API_KEY = "cp-key"
DESKTOP_TOKEN = "desk-token"
_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
_STATES = ("starting", "stopping", "snapshotting", "running", "paused", "unpausing", "stopped",
           "deleting")  # fmt: skip


@dataclass
class FakeDesktop:
    """One fake desktop: which processes run, and how it misbehaves."""

    sandbox_id: str
    running: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(PROCESS_NAMES, True))
    pids: dict[str, int] = field(default_factory=dict)
    token: str = DESKTOP_TOKEN
    silent: bool = False
    """A desktop that hangs: its streams send nothing more, its other answers never come."""
    recording: bool = False
    screenshot_status: int | None = None
    """Answer screenshots with this status (the status itself stays fine)."""
    waiters: set[asyncio.Event] = field(default_factory=set)

    def status(self) -> dict[str, Any]:
        items = [
            {
                "name": name,
                "running": up,
                "pid": self.pids.get(name, 100 + i) if up else None,
                "stdout_log": f"/tmp/{name}.out.log",
                "stderr_log": f"/tmp/{name}.err.log",
            }
            for i, (name, up) in enumerate(self.running.items())
        ]
        running = sum(self.running.values())
        overall = "running" if running == len(items) else "stopped" if not running else "degraded"
        return {"status": overall, "items": items, "running": running, "total": len(items)}


class FakeCloud:
    """The ASGI app. ``sandboxes`` rows are dicts as the spec's ``SandboxListItem``."""

    def __init__(
        self,
        count: int = 5000,
        *,
        desktops: int = 200,
        heartbeat: float = 2.0,
        screen: tuple[int, int] = (1440, 900),
    ) -> None:
        self.heartbeat = heartbeat
        self.screen = screen
        """The fake desktops' screen size in pixels (their screenshots are this big)."""
        self.screenshots: Counter[str] = Counter()
        """``GET /api/screenshot`` answered, per desktop."""
        self._images: dict[tuple[str, str, int | None], bytes] = {}
        self.screenshot_delay = 0.0
        """Seconds each screenshot takes."""
        self.screenshots_in_flight = 0
        self.most_screenshots_in_flight = 0
        """The most screenshots answered at once, over every desktop."""
        self.page_delay = 0.0
        """Seconds each listing page takes."""
        self.fail_status: int | None = None
        """Answer every listing with this status (503: a control plane that is down)."""
        self.listing_requests = 0
        self.churn: tuple[int, int] = (0, 0)
        """After each listing page answered: this many random sandboxes deleted, and this
        many created (the account changing under a walk)."""
        self._random = random.Random(7)
        self.status_requests = 0
        self.restarts: list[tuple[str, str]] = []
        """(sandbox id, process) of each restart asked of a desktop."""
        """``GET /api/status`` answered, over every desktop."""
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next = 0
        self.sandboxes: list[dict[str, Any]] = []  # newest first
        for _ in range(count):
            self.create()
        self.desktops: dict[str, FakeDesktop] = {}
        for row in self.sandboxes[-desktops:] if desktops else []:
            self.desktops[row["id"]] = FakeDesktop(row["id"])

    # ── the account (thread-safe) ──

    def sandbox_id(self, index: int) -> str:
        return f"sbx-{index:05d}"

    def create(self, state: str = "running") -> str:
        """A new sandbox, newest of all; returns its id."""
        with self._lock:
            index = self._next
            self._next += 1
            created = _EPOCH + timedelta(minutes=index)
            row = {
                "id": self.sandbox_id(index),
                "template_id": f"tpl-{index % 7}",
                "pod_id": f"pod-{index}",
                "state": state,
                "launch_time": created.isoformat(),
                "state_change_time": created.isoformat(),
                "timeout_at": int(created.timestamp()) + 86400,
                "created_at": created.isoformat(),
            }
            self.sandboxes.insert(0, row)
            return str(row["id"])

    def delete(self, sandbox_id: str) -> None:
        with self._lock:
            self.sandboxes = [s for s in self.sandboxes if s["id"] != sandbox_id]

    def set_state(self, sandbox_id: str, state: str) -> None:
        with self._lock:
            for row in self.sandboxes:
                if row["id"] == sandbox_id:
                    row["state"] = state

    def desktop_ids(self) -> list[str]:
        return list(self.desktops)

    # ── the desktops (thread-safe) ──

    def set_process(self, sandbox_id: str, name: str, running: bool) -> None:
        """Stop or start one process of a fake desktop; its streams send the change at once."""
        desktop = self.desktops[sandbox_id]
        with self._lock:
            if running and not desktop.running[name]:
                desktop.pids[name] = desktop.pids.get(name, 100) + 1000
            desktop.running[name] = running
        self._notify(desktop)

    def set_desktop(
        self,
        sandbox_id: str,
        *,
        token: str | None = None,
        silent: bool | None = None,
        screenshot_status: int | None = None,
    ) -> None:
        desktop = self.desktops[sandbox_id]
        if token is not None:
            desktop.token = token
        if silent is not None:
            desktop.silent = silent
        if screenshot_status is not None:
            desktop.screenshot_status = screenshot_status or None
        self._notify(desktop)

    def _notify(self, desktop: FakeDesktop) -> None:
        def wake() -> None:
            for event in desktop.waiters:
                event.set()

        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake()
        else:
            loop.call_soon_threadsafe(wake)

    # ── ASGI ──

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self._loop = asyncio.get_running_loop()
        path: str = scope["path"]
        method: str = scope["method"]
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        if path == "/v1/sandboxes" and method == "GET":
            await self._listing(query, auth, send)
        elif path.startswith("/desktops/"):
            sandbox_id, _, rest = path[len("/desktops/") :].partition("/")
            await self._desktop(sandbox_id, "/" + rest, method, query, auth, receive, send)
        elif path.startswith("/_fake/") and method == "POST":
            await self._control(path.split("/")[2:], query, send)
        else:
            await _json(send, 404, {"message": f"no route for {method} {path}"})

    async def _listing(self, query: dict[str, str], auth: str, send: Send) -> None:
        self.listing_requests += 1
        if auth != f"Bearer {API_KEY}":
            await _json(send, 401, {"message": "invalid API key"})
            return
        if self.page_delay:
            await asyncio.sleep(self.page_delay)
        if self.fail_status is not None:
            await _json(send, self.fail_status, {"message": "control plane unavailable"})
            return
        try:
            page = int(query.get("page", "1"))
            size = int(query.get("page-size", "20"))
            if page < 1 or not 1 <= size <= 100:
                raise ValueError
        except ValueError:
            await _json(send, 400, {"message": "invalid query parameters"})
            return
        state = query.get("state")
        if state is not None and state not in _STATES:
            await _json(send, 400, {"message": f"invalid state {state!r}"})
            return
        with self._lock:
            rows = [s for s in self.sandboxes if state is None or s["state"] == state]
        if query.get("sort") == "state":
            rows.sort(key=lambda s: (s["state"], s["created_at"]), reverse=True)
        if query.get("order-by") == "asc":
            rows.reverse()
        chunk = rows[(page - 1) * size : page * size]
        await _json(send, 200, {"items": chunk, "total_items": len(rows)})
        deleted, created = self.churn
        for _ in range(deleted):
            self.delete(self._random.choice(self.sandboxes)["id"])
        for _ in range(created):
            self.create(self._random.choice(_STATES))

    async def _desktop(
        self,
        sandbox_id: str,
        path: str,
        method: str,
        query: dict[str, str],
        auth: str,
        receive: Receive,
        send: Send,
    ) -> None:
        desktop = self.desktops.get(sandbox_id)
        if desktop is None:
            await _json(send, 404, {"message": f"no desktop {sandbox_id}"})
            return
        if auth != f"Bearer {desktop.token}":
            await _json(send, 401, {"message": "missing or wrong token"})
            return
        if desktop.silent and path != Routes.STATUS_STREAM.path():
            await _disconnected(receive)
        elif method == "GET" and path == Routes.STATUS.path():
            self.status_requests += 1
            await _json(send, 200, desktop.status())
        elif method == "GET" and path == Routes.STATUS_STREAM.path():
            await self._stream(desktop, receive, send)
        elif method == "GET" and path == Routes.SCREENSHOT.path():
            await self._screenshot(desktop, query, send)
        elif method == "GET" and path == Routes.RECORDING_STATUS.path():
            await _json(send, 200, {"active": desktop.recording})
        elif method == "POST" and path in (
            Routes.RECORDING_START.path(),
            Routes.RECORDING_STOP.path(),
        ):
            start = path == Routes.RECORDING_START.path()
            if desktop.recording == start:
                said = "a recording is already active" if start else "no active recording"
                await _json(send, 409, {"message": said})
                return
            desktop.recording = start
            await _json(send, 201 if start else 200, {"active": start})
        elif method == "POST" and (name := _restarted(path)) in desktop.running:
            self.set_process(desktop.sandbox_id, name, False)
            self.set_process(desktop.sandbox_id, name, True)
            self.restarts.append((desktop.sandbox_id, name))
            status = next(i for i in desktop.status()["items"] if i["name"] == name)
            await _json(send, 200, {"message": f"{name} restarted", "status": status})
        else:
            await _json(send, 404, {"message": f"no route for {method} {path}"})

    async def _screenshot(self, desktop: FakeDesktop, query: dict[str, str], send: Send) -> None:
        if desktop.screenshot_status is not None:
            await _json(send, desktop.screenshot_status, {"message": "screen capture failed"})
            return
        image_format = "jpeg" if query.get("format") in ("jpg", "jpeg") else "png"
        quality = int(query["quality"]) if "quality" in query else None
        with self._lock:
            self.screenshots[desktop.sandbox_id] += 1
        self.screenshots_in_flight += 1
        self.most_screenshots_in_flight = max(
            self.most_screenshots_in_flight, self.screenshots_in_flight
        )
        try:
            await asyncio.sleep(self.screenshot_delay)
        finally:
            self.screenshots_in_flight -= 1
        key = (desktop.sandbox_id, image_format, quality)
        data = self._images.get(key)
        if data is None:
            data = self._images[key] = screen_image(
                desktop.sandbox_id, self.screen, image_format, quality
            )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", f"image/{image_format}".encode())],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def _stream(self, desktop: FakeDesktop, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        changed = asyncio.Event()
        desktop.waiters.add(changed)
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            while not gone.done():
                if not desktop.silent:
                    body = f"data: {json.dumps(desktop.status())}\n\n".encode()
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                changed.clear()
                waiting = asyncio.ensure_future(changed.wait())
                await asyncio.wait({waiting, gone}, timeout=self.heartbeat,
                                   return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                waiting.cancel()
        except OSError:
            pass
        finally:
            gone.cancel()
            desktop.waiters.discard(changed)

    async def _control(self, parts: list[str], query: dict[str, str], send: Send) -> None:
        """``POST /_fake/process/{id}/{name}?running=0``, ``/_fake/delete/{id}``,
        ``/_fake/create``, ``/_fake/listing?page_delay=0.2&fail_status=503``,
        ``/_fake/screenshots`` (how many were answered)."""
        match parts:
            case ["process", sandbox_id, name]:
                self.set_process(sandbox_id, name, query.get("running", "0") == "1")
            case ["delete", sandbox_id]:
                self.delete(sandbox_id)
            case ["create"]:
                await _json(send, 200, {"id": self.create()})
                return
            case ["screenshots"]:
                await _json(send, 200, {"count": sum(self.screenshots.values())})
                return
            case ["listing"]:
                self.page_delay = float(query.get("page_delay", self.page_delay))
                fail = query.get("fail_status", "")
                self.fail_status = int(fail) if fail else None
            case _:
                await _json(send, 404, {"message": "no such control"})
                return
        await _json(send, 200, {"ok": True})


def screen_image(
    sandbox_id: str, size: tuple[int, int], image_format: str, quality: int | None
) -> bytes:
    """A desktop's screen as Pillow encodes it: a panel, a background and two windows in
    colours of the desktop's own (a grid of them shows which is which)."""
    from PIL import Image, ImageDraw

    seed = random.Random(sandbox_id)
    width, height = size
    image = Image.new("RGB", size, tuple(seed.randrange(40, 120) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, height // 30), fill=(30, 30, 34))
    for _ in range(2):
        x, y = seed.randrange(width // 2), seed.randrange(height // 10, height // 2)
        w, h = seed.randrange(width // 4, width // 2), seed.randrange(height // 4, height // 2)
        colour = tuple(seed.randrange(120, 256) for _ in range(3))
        draw.rectangle((x, y, x + w, y + h), fill=colour, outline=(0, 0, 0), width=4)
        draw.rectangle((x, y, x + w, y + height // 25), fill=(60, 60, 70))
        draw.text((x + 10, y + 5), sandbox_id, fill=(255, 255, 255))
    out = io.BytesIO()
    if image_format == "jpeg":
        image.save(out, "JPEG", quality=quality or 75)
    else:
        image.save(out, "PNG")
    return out.getvalue()


def _restarted(path: str) -> str | None:
    """The process a ``POST /api/process/{name}/restart`` path names."""
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[:2] == ["api", "process"] and parts[3] == "restart":
        return parts[2]
    return None


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _json(send: Send, status: int, body: Any) -> None:
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": content})


def main() -> None:
    """Serve a fake account until stdin closes: ``python -m tests.support.fake_control_plane
    [COUNT [DESKTOPS [PORT]]]``; prints ``URL`` on its first line."""
    import uvicorn

    from tests.support.loopback import free_port

    args = [int(a) for a in sys.argv[1:]]
    count, desktops = [*args, 5000, 200][:2]
    port = args[2] if len(args) > 2 else free_port()
    app = FakeCloud(count, desktops=desktops)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", ws="none", backlog=4096)  # fmt: skip
    server = uvicorn.Server(config)
    threading.Thread(target=lambda: (sys.stdin.read(), setattr(server, "should_exit", True)),
                     daemon=True).start()  # fmt: skip
    print(f"http://127.0.0.1:{port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
