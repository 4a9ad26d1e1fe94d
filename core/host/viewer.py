"""The browser viewer: noVNC through the host's own port, behind a single-use ticket.

The API token never reaches a browser. A client that holds the token asks for a ticket
(``POST /viewer/ticket``) and opens ``/viewer/?ticket=T``; the host takes a ticket once,
within :data:`TICKET_SECONDS`, sets an HttpOnly cookie scoped to ``/viewer/`` and sends
the browser on to ``/viewer/`` (so the ticket leaves the address bar). With the cookie:

- ``/viewer/`` is the viewer page, ``/viewer/page/...`` its script and style, and
  ``/viewer/novnc/...`` the noVNC library the page imports (Debian's ``novnc`` folder);
- ``/viewer/session`` tells the page how to log in to the VNC server (its password,
  which stays out of every URL);
- ``/viewer/websockify`` is the WebSocket, accepted from the page's own origin only and
  joined to websockify, which listens on loopback only (as does x11vnc).

Without the cookie every viewer path answers 401 (a WebSocket is refused). ``/`` sends a
browser to ``/viewer/``. Tickets and sessions are kept in memory, at most
:data:`MAX_TICKETS` and :data:`MAX_SESSIONS` (the oldest go first), by their SHA-256 so
looking one up leaks nothing through timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from core.host.auth import TokenCheck, unauthorized
from core.host.errors import HostError
from core.host.host import DesktopHost
from core.models import ViewerTicket
from core.routes import ViewerRoutes

__all__ = [
    "COOKIE",
    "MAX_SESSIONS",
    "MAX_TICKETS",
    "PREFIX",
    "SESSION_SECONDS",
    "TICKET_SECONDS",
    "Passes",
    "Viewer",
]

log = logging.getLogger(__name__)

PREFIX = "/viewer/"
COOKIE = "leap0_viewer"
TICKET_SECONDS = 60
"""How long a ticket may wait to be opened."""
SESSION_SECONDS = 12 * 3600
"""How long a viewer cookie lasts."""
MAX_TICKETS = 32
MAX_SESSIONS = 32

_PAGE_FILES = files("core.host") / "viewer_page"

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class Passes:
    """Secrets that open something until they expire: tickets (single-use) or sessions."""

    def __init__(self, lifetime: float, limit: int, *, single_use: bool) -> None:
        self.lifetime = lifetime
        self.limit = limit
        self.single_use = single_use
        self._expiry: OrderedDict[bytes, float] = OrderedDict()

    def issue(self) -> str:
        self._drop_expired()
        while len(self._expiry) >= self.limit:
            self._expiry.popitem(last=False)
        secret = secrets.token_urlsafe(32)
        self._expiry[_digest(secret)] = time.monotonic() + self.lifetime
        return secret

    def valid(self, secret: str | None) -> bool:
        """Whether ``secret`` opens (and, single-use, is used up by this call)."""
        if not secret:
            return False
        key = _digest(secret)
        expiry = self._expiry.get(key)
        if expiry is None:
            return False
        if self.single_use or expiry <= time.monotonic():
            del self._expiry[key]
        return expiry > time.monotonic()

    def __len__(self) -> int:
        self._drop_expired()
        return len(self._expiry)

    def _drop_expired(self) -> None:
        now = time.monotonic()
        for key in [k for k, expiry in self._expiry.items() if expiry <= now]:
            del self._expiry[key]


def _same_origin(origin: str | None, host: str | None) -> bool:
    """Whether a WebSocket's ``Origin`` is the page the host served (scheme http or https,
    the very host and port the browser asked for)."""
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def _refused(message: str) -> Response:
    return Response(
        f"{message}\n", status_code=401, media_type="text/plain; charset=utf-8", headers=_NO_STORE
    )


class _CookieGuard:
    """ASGI: ``app`` for requests with a viewer session cookie, 401 for the rest."""

    def __init__(self, app: ASGIApp, viewer: Viewer) -> None:
        self.app = app
        self.viewer = viewer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.viewer.has_session(Request(scope)):
            await self.app(scope, receive, send)
        else:
            await _refused("no viewer session")(scope, receive, send)


class Viewer:
    """The viewer's routes for one :class:`DesktopHost` (see the module doc)."""

    def __init__(self, host: DesktopHost, novnc_web: Path) -> None:
        self.host = host
        self.token = TokenCheck(host.config.token)
        self.tickets = Passes(TICKET_SECONDS, MAX_TICKETS, single_use=True)
        self.sessions = Passes(SESSION_SECONDS, MAX_SESSIONS, single_use=False)
        self._page_html = (_PAGE_FILES / "index.html").read_text(encoding="utf-8")
        self.app = Starlette(
            routes=[
                Route("/", self.entry, methods=["GET"]),
                Route(ViewerRoutes.TICKET.template, self.ticket, methods=["POST"]),
                Route(PREFIX, self.page, methods=["GET"]),
                Route(PREFIX + "session", self.session, methods=["GET"]),
                WebSocketRoute(PREFIX + "websockify", self.websocket),
                Mount(
                    PREFIX + "page",
                    _CookieGuard(StaticFiles(directory=str(_PAGE_FILES)), self),
                ),
                Mount(
                    PREFIX + "novnc",
                    _CookieGuard(StaticFiles(directory=novnc_web, check_dir=False), self),
                ),
            ]
        )

    @staticmethod
    def serves(path: str) -> bool:
        """Whether ``path`` is the viewer's (not the token-guarded API's)."""
        return path == "/" or path == PREFIX.rstrip("/") or path.startswith(PREFIX)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def has_session(self, request: Request | WebSocket) -> bool:
        return self.sessions.valid(request.cookies.get(COOKIE))

    # ── routes ──

    async def entry(self, request: Request) -> Response:
        return RedirectResponse(PREFIX, status_code=307)

    async def ticket(self, request: Request) -> Response:
        if not self.token.request_ok(request.scope):
            return unauthorized()
        ticket = self.tickets.issue()
        answer = ViewerTicket(
            ticket=ticket, path=f"{PREFIX}?ticket={ticket}", expires_in=TICKET_SECONDS
        )
        return Response(answer.model_dump_json(), media_type="application/json", headers=_NO_STORE)

    async def page(self, request: Request) -> Response:
        ticket = request.query_params.get("ticket")
        if ticket is not None:
            if not self.tickets.valid(ticket):
                return _refused(
                    "This viewer link has expired or was used already: "
                    "ask the dashboard for a new one (o)."
                )
            response = RedirectResponse(PREFIX, status_code=303, headers=_NO_STORE)
            response.set_cookie(
                COOKIE,
                self.sessions.issue(),
                max_age=SESSION_SECONDS,
                path=PREFIX,
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
            return response
        if not self.has_session(request):
            return _refused("No viewer session: open the desktop's viewer from the dashboard (o).")
        return Response(
            self._page_html,
            media_type="text/html; charset=utf-8",
            headers={**_NO_STORE, "Content-Security-Policy": _csp(request)},
        )

    async def session(self, request: Request) -> Response:
        if not self.has_session(request):
            return _refused("no viewer session")
        try:
            _, password = self.host.viewer_upstream()
        except HostError as exc:
            return JSONResponse({"message": exc.message}, status_code=exc.status, headers=_NO_STORE)
        width, height = self.host.screen_size()
        return JSONResponse(
            {
                "password": password,
                "title": f"leap0 desktop {self.host.display()} ({width}x{height})",
            },
            headers=_NO_STORE,
        )

    async def websocket(self, websocket: WebSocket) -> None:
        if not self.has_session(websocket):
            await websocket.close(code=1008, reason="no viewer session")
            return
        if not _same_origin(websocket.headers.get("origin"), websocket.headers.get("host")):
            log.warning("viewer: WebSocket from origin %r refused", websocket.headers.get("origin"))
            await websocket.close(code=1008, reason="cross-origin")
            return
        try:
            port, _ = self.host.viewer_upstream()
            upstream = await websockets.connect(
                f"ws://127.0.0.1:{port}/websockify",
                subprotocols=[websockets.Subprotocol("binary")],
                open_timeout=5,
                ping_interval=None,
                max_size=None,
                compression=None,
            )
        except (HostError, OSError, websockets.WebSocketException, TimeoutError) as exc:
            log.warning("viewer: websockify did not answer: %s", exc)
            await websocket.close(code=1011, reason="the VNC bridge (novnc) is not answering")
            return
        offered = websocket.scope.get("subprotocols") or []
        await websocket.accept(subprotocol="binary" if "binary" in offered else None)
        async with upstream:
            await _join(websocket, upstream)


def _csp(request: Request) -> str:
    scheme = "wss" if request.url.scheme == "https" else "ws"
    host = request.headers.get("host", "")
    return (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        f"connect-src 'self' {scheme}://{host}; frame-ancestors 'none'"
    )


async def _join(browser: WebSocket, upstream: Any) -> None:
    """Carry bytes both ways until either side closes."""

    async def down() -> None:
        async for message in upstream:
            await browser.send_bytes(message if isinstance(message, bytes) else message.encode())

    async def up() -> None:
        while True:
            message = await browser.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:
                data = (message.get("text") or "").encode()
            await upstream.send(data)

    tasks = [asyncio.ensure_future(down()), asyncio.ensure_future(up())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(
                exc, (WebSocketDisconnect, websockets.ConnectionClosed)
            ):
                log.warning("viewer: connection ended: %s", exc)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await browser.close()
