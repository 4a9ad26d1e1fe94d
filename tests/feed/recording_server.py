"""A recording download route that fails on demand, served like the desktop host serves it.

The body comes from Starlette's ``FileResponse`` (real ``Range``/``If-Range`` handling, as in
the host); faults are injected around it at the ASGI ``send`` boundary, so the client sees a
real connection dropped or stalled mid-body, not a patched one.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from starlette.datastructures import Headers
from starlette.responses import FileResponse, JSONResponse
from starlette.types import Message, Receive, Scope, Send

_ROUTE = re.compile(r"/api/recordings/([^/]+)(/download)?")


@dataclass(frozen=True)
class Fault:
    """After ``after`` bytes of one response's body: ``drop`` the connection, or ``stall``
    (send nothing more until the client goes away)."""

    after: int
    kind: Literal["drop", "stall"] = "drop"


@dataclass(frozen=True)
class Served:
    """One download request: the headers it carried, the status and headers it got."""

    headers: dict[str, str]
    status: int
    response_headers: dict[str, str]


class _Dropped(Exception):
    """Raised in the app to make uvicorn drop the connection mid-body."""


class RecordingServer:
    """ASGI app: ``GET /api/recordings/{id}`` (metadata) and ``.../download`` (the file).

    Each download request takes the next :class:`Fault` from :attr:`faults`, if any.
    ``ignore_range`` makes the route answer every request whole (200), as a server without
    range support does; ``size_bytes`` overrides the size the metadata announces;
    ``chunk_delay`` paces the body (seconds per 64 KiB chunk); :attr:`stalled` is set once a
    ``stall`` fault holds a response.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.files: dict[str, Path] = {}
            self.faults: deque[Fault] = deque()
            self.ignore_range = False
            self.size_bytes: int | None = None
            self.chunk_delay = 0.0
            self.served: list[Served] = []
            self.metadata_requests = 0
            self.stalled = threading.Event()

    def publish(self, recording_id: str, path: Path, *faults: Fault) -> None:
        with self._lock:
            self.files[recording_id] = path
            self.faults.extend(faults)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        match = _ROUTE.fullmatch(scope["path"])
        file = self.files.get(match.group(1)) if match else None
        if match is None or file is None:
            await JSONResponse({"message": "not found"}, 404)(scope, receive, send)
            return
        if not match.group(2):
            with self._lock:
                self.metadata_requests += 1
            size = file.stat().st_size if self.size_bytes is None else self.size_bytes
            summary = {"id": match.group(1), "size_bytes": size, "mime_type": "video/mp4"}
            await JSONResponse(summary)(scope, receive, send)
            return
        headers = dict(Headers(scope=scope))
        if self.ignore_range:
            scope = {
                **scope,
                "headers": [
                    (k, v) for k, v in scope["headers"] if k not in (b"range", b"if-range")
                ],
            }
        with self._lock:
            fault = self.faults.popleft() if self.faults else None
        response = FileResponse(file, media_type="video/mp4")
        await response(scope, receive, self._send(send, receive, headers, fault))

    def _send(
        self, send: Send, receive: Receive, headers: dict[str, str], fault: Fault | None
    ) -> Send:
        sent = 0

        async def faulty_send(message: Message) -> None:
            nonlocal sent
            if message["type"] == "http.response.start":
                with self._lock:
                    answered = {k.decode(): v.decode() for k, v in message.get("headers", [])}
                    self.served.append(Served(headers, message["status"], answered))
            if message["type"] != "http.response.body":
                await send(message)
                return
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
            body: bytes = message.get("body", b"")
            if fault is not None and sent + len(body) > fault.after:
                await send({**message, "body": body[: fault.after - sent], "more_body": True})
                if fault.kind == "stall":
                    self.stalled.set()
                    while (await receive())["type"] != "http.disconnect":
                        pass
                raise _Dropped(f"dropped after {fault.after} bytes on purpose")
            sent += len(body)
            await send(message)

        return faulty_send
