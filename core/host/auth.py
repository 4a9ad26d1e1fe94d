"""The API token, checked once for every way in: ``Authorization: Bearer <token>``.

:class:`BearerAuth` guards the desktop API; the viewer (:mod:`core.host.viewer`) asks
:meth:`TokenCheck.request_ok` before it hands out a ticket. The comparison is in constant
time. The token is never accepted in a URL: a URL ends up in browser history, proxies'
logs and clipboards (the browser gets a single-use ticket instead).
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BearerAuth", "TokenCheck", "unauthorized"]


class TokenCheck:
    """Whether a request carries the host's token."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    def matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self._token)

    def request_ok(self, scope: Scope) -> bool:
        scheme, _, value = Headers(scope=scope).get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.matches(value.strip())


def unauthorized() -> Response:
    return JSONResponse(
        {"message": "missing or wrong token: send Authorization: Bearer <token>"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="leap0-desktop"'},
    )


class BearerAuth:
    """ASGI middleware: every HTTP request and WebSocket needs the token (401 otherwise)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.check = TokenCheck(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or self.check.request_ok(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
        else:
            await unauthorized()(scope, receive, send)
