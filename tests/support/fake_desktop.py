"""A desktop API that misbehaves on demand: an ASGI app that records and answers as told.

Each test scripts the replies of the routes it uses with :meth:`ScriptedDesktop.on` and reads
back what arrived in :attr:`ScriptedDesktop.seen`. Only routes of the API's table
(:mod:`core.routes`) can be scripted. Served over real HTTP on loopback by the session
fixture in ``conftest.py``; nothing in httpx is patched.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from core.routes import Routes

TOKEN = "test-token"

BREAK = object()
"""An SSE script step: abort the response mid-body, so the chunked stream is left broken."""


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    raw_path: str
    query: str
    body: bytes
    headers: dict[str, str]
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What to answer: a status with a JSON or raw body, after ``delay`` seconds.

    ``sse`` makes it an event stream instead: text steps are sent as they are, numbers are
    pauses in seconds, :data:`BREAK` aborts the connection. After the last step the stream
    is closed cleanly.
    """

    status: int = 200
    json: Any = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    sse: list[Any] | None = None


def _decoded_paths(template: str) -> re.Pattern[str]:
    """The decoded paths of a route template: each ``{parameter}`` is one non-empty segment."""
    parts = re.split(r"\{\w+\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


_API = tuple((route.method, _decoded_paths(route.template)) for route in Routes.all())


class _Broken(Exception):
    """Raised in the app to abort a response mid-body."""


class ScriptedDesktop:
    """The ASGI app. Unscripted routes answer 404 with a JSON ``message``."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._routes: dict[tuple[str, str], deque[Reply]] = {}
        self._lock = threading.Lock()

    def on(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` (path as decoded by the server) with ``replies`` in turn;
        the last one repeats. A route the API does not have is a mistake in the test:
        :class:`ValueError`."""
        if not any(m == method and paths.fullmatch(path) for m, paths in _API):
            raise ValueError(f"{method} {path} is not a route of the desktop API (core.routes)")
        with self._lock:
            self._routes[(method, path)] = deque(replies)

    def reset(self) -> None:
        with self._lock:
            self.seen.clear()
            self._routes.clear()

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def _next(self, method: str, path: str) -> Reply:
        with self._lock:
            queue = self._routes.get((method, path))
            if not queue:
                return Reply(404, {"message": f"no route for {method} {path}"})
            return queue.popleft() if len(queue) > 1 else queue[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        with self._lock:
            self.seen.append(
                Seen(
                    method=request.method,
                    path=scope["path"],
                    raw_path=scope["raw_path"].decode("ascii"),
                    query=scope["query_string"].decode("ascii"),
                    body=body,
                    headers=dict(request.headers),
                    at=time.monotonic(),
                )
            )
        reply = self._next(request.method, scope["path"])
        if reply.delay and not await _unless_disconnected(asyncio.sleep(reply.delay), receive):
            return
        if reply.sse is not None:
            await _stream(reply, receive, send)
            return
        content = reply.body
        headers = dict(reply.headers)
        if reply.json is not None:
            content = json.dumps(reply.json).encode()
            headers.setdefault("content-type", "application/json")
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": _raw(headers)}
        )
        await send({"type": "http.response.body", "body": content})


async def _stream(reply: Reply, receive: Receive, send: Send) -> None:
    headers = {"content-type": "text/event-stream", "cache-control": "no-store", **reply.headers}
    await send({"type": "http.response.start", "status": reply.status, "headers": _raw(headers)})

    async def script() -> None:
        for step in reply.sse or []:
            if step is BREAK:
                raise _Broken("stream broken on purpose")
            if isinstance(step, int | float):
                await asyncio.sleep(step)
            else:
                await send({"type": "http.response.body", "body": step.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    await _unless_disconnected(script(), receive)


async def _unless_disconnected(work: Coroutine[Any, Any, None], receive: Receive) -> bool:
    """Run ``work`` until done (True) or until the client goes away (False).

    So a slow or silent reply does not outlive its client and hold up the server's shutdown.
    Exceptions from ``work`` propagate: uvicorn then drops the connection mid-body.
    """

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    running = asyncio.ensure_future(work)
    watching = asyncio.ensure_future(disconnected())
    done, pending = await asyncio.wait({running, watching}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if running in done:
        running.result()
        return True
    return False


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


# ── payloads ──


def process_status(status: str = "running", down: tuple[str, ...] = ()) -> dict[str, Any]:
    """A ``/api/status`` body: the four processes, those in ``down`` not running."""
    if status != "running" and not down:
        down = ("xfce4",)
    items = [
        {
            "name": name,
            "running": name not in down,
            "pid": None if name in down else 100 + i,
            "stdout_log": f"/tmp/{name}.out.log",
            "stderr_log": f"/tmp/{name}.err.log",
        }
        for i, name in enumerate(("xvfb", "xfce4", "x11vnc", "novnc"))
    ]
    running = sum(item["running"] for item in items)
    return {"status": status, "items": items, "running": running, "total": len(items)}


def event(status: str = "running", *, event_id: str | None = None) -> str:
    """One SSE message carrying a process status."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}data: {json.dumps(process_status(status))}\n\n"
