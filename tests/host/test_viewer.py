"""The browser viewer (core/host/viewer.py) against the session's real host.

A ticket from ``POST /viewer/ticket`` (with the token) opens the viewer once and becomes
an HttpOnly cookie; the page, noVNC's files, the session and the WebSocket need that
cookie; the WebSocket also needs the page's own Origin and reaches x11vnc through
websockify on loopback. The API token is never accepted in a URL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
import websockets

from core.desktop import AsyncDesktopClient
from core.host.guard import DEFAULT_HEADER_TIMEOUT
from core.host.viewer import COOKIE, Passes
from core.models import ViewerTicket
from core.routes import ViewerRoutes
from tests.host.harness import HostProcess


@pytest_asyncio.fixture
async def browser(local_host: HostProcess) -> AsyncIterator[httpx.AsyncClient]:
    """A client without the token, keeping cookies, as a browser would."""
    async with httpx.AsyncClient(base_url=local_host.url, timeout=10) as client:
        yield client


async def _ticket(host: HostProcess) -> ViewerTicket:
    async with httpx.AsyncClient(base_url=host.url, timeout=10) as dashboard:
        response = await dashboard.post(
            ViewerRoutes.TICKET.template, headers={"Authorization": f"Bearer {host.token}"}
        )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return ViewerTicket.model_validate_json(response.content)


async def _open(browser: httpx.AsyncClient, host: HostProcess) -> str:
    """Open the viewer with a fresh ticket; the session cookie's value."""
    ticket = await _ticket(host)
    response = await browser.get(ticket.path)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/viewer/"
    return browser.cookies[COOKIE]


async def test_a_ticket_needs_the_token(browser: httpx.AsyncClient) -> None:
    refused = await browser.post(ViewerRoutes.TICKET.template)
    assert refused.status_code == 401
    wrong = await browser.post(
        ViewerRoutes.TICKET.template, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401


async def test_a_ticket_opens_the_viewer_once_and_becomes_an_httponly_cookie(
    browser: httpx.AsyncClient, local_host: HostProcess
) -> None:
    ticket = await _ticket(local_host)
    assert local_host.token not in ticket.path
    assert ticket.path == f"/viewer/?ticket={ticket.ticket}"
    assert 0 < ticket.expires_in <= 120

    opened = await browser.get(ticket.path)
    assert opened.status_code == 303
    cookie = SimpleCookie(opened.headers["set-cookie"])[COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/viewer/"
    assert cookie["samesite"].lower() == "strict"
    assert local_host.token not in cookie.value

    page = await browser.get("/viewer/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "page/viewer.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]

    # Used once: a second browser with the same link gets nothing.
    async with httpx.AsyncClient(base_url=local_host.url, timeout=10) as other:
        again = await other.get(ticket.path)
        assert again.status_code == 401
        assert "expired or was used" in again.text
        assert COOKIE not in other.cookies


async def test_the_token_in_a_url_opens_nothing(
    browser: httpx.AsyncClient, local_host: HostProcess
) -> None:
    entry = await browser.get("/", params={"token": local_host.token})
    assert entry.status_code == 307
    assert entry.headers["location"] == "/viewer/"
    page = await browser.get("/viewer/", params={"token": local_host.token})
    assert page.status_code == 401
    for path in ("/api/status", "/viewer/session", "/viewer/novnc/core/rfb.js"):
        response = await browser.get(path, params={"token": local_host.token})
        assert response.status_code == 401, path


@pytest.mark.parametrize(
    "path", ["/viewer/", "/viewer/session", "/viewer/page/viewer.js", "/viewer/novnc/vnc.html"]
)
async def test_without_the_cookie_every_viewer_path_is_refused(
    browser: httpx.AsyncClient, path: str
) -> None:
    response = await browser.get(path)
    assert response.status_code == 401
    browser.cookies.set(COOKIE, "made-up")
    response = await browser.get(path)
    assert response.status_code == 401


async def test_with_the_cookie_the_page_its_script_and_novnc_are_served(
    browser: httpx.AsyncClient, local_host: HostProcess
) -> None:
    await _open(browser, local_host)
    script = await browser.get("/viewer/page/viewer.js")
    assert script.status_code == 200
    assert "../novnc/core/rfb.js" in script.text
    rfb = await browser.get("/viewer/novnc/core/rfb.js")
    assert rfb.status_code == 200
    assert "export default class RFB" in rfb.text
    # Nothing outside noVNC's folder, however the path is spelt.
    for path in (
        "/viewer/novnc/..%2f..%2f..%2fetc/passwd",
        "/viewer/novnc/%2e%2e/%2e%2e/etc/passwd",
    ):
        escaped = await browser.get(path)
        assert escaped.status_code == 404, path
        assert "root:" not in escaped.text

    session = await browser.get("/viewer/session")
    assert session.status_code == 200
    assert session.headers["cache-control"] == "no-store"
    password = session.json()["password"]
    assert 0 < len(password) <= 8
    assert password not in local_host.token


def _ws_url(host: HostProcess) -> str:
    return "ws://" + urlsplit(host.url).netloc + "/viewer/websockify"


@pytest.mark.parametrize("pause", [0.0, DEFAULT_HEADER_TIMEOUT + 1], ids=["at-once", "later"])
async def test_the_websocket_reaches_x11vnc_from_the_page_s_own_origin(
    browser: httpx.AsyncClient, local_host: HostProcess, pause: float
) -> None:
    """... and stays open past the connection guard's header deadline."""
    session = await _open(browser, local_host)
    async with websockets.connect(
        _ws_url(local_host),
        origin=websockets.Origin(local_host.url),
        additional_headers={"Cookie": f"{COOKIE}={session}"},
        subprotocols=[websockets.Subprotocol("binary")],
        open_timeout=10,
    ) as ws:
        assert ws.subprotocol == "binary"
        version = await ws.recv(decode=False)
        assert version.startswith(b"RFB 003.")
        await asyncio.sleep(pause)
        await ws.send(b"RFB 003.008\n")
        security = await ws.recv(decode=False)
        count, types = security[0], list(security[1:])
        assert count == len(types) >= 1
        assert types == [2], f"x11vnc should ask for VNC authentication only, offered {types}"


@pytest.mark.parametrize(
    ("origin", "with_cookie"),
    [
        ("http://evil.example", True),
        ("http://127.0.0.1:1", True),
        (None, True),
        ("same", False),
    ],
)
async def test_the_websocket_is_refused_without_cookie_or_from_another_origin(
    browser: httpx.AsyncClient, local_host: HostProcess, origin: str | None, with_cookie: bool
) -> None:
    session = await _open(browser, local_host)
    headers = {"Cookie": f"{COOKIE}={session}"} if with_cookie else {}
    if origin == "same":
        origin = local_host.url
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            _ws_url(local_host),
            origin=websockets.Origin(origin) if origin else None,
            additional_headers=headers,
            open_timeout=10,
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_the_client_s_viewer_url_carries_a_ticket_not_the_token(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, browser: httpx.AsyncClient
) -> None:
    url = await desktop_client.viewer_url(local_host.url)
    assert local_host.token not in url
    assert url.startswith(local_host.url + "/viewer/?ticket=")
    opened = await browser.get(url)
    assert opened.status_code == 303
    assert desktop_client.desktop_url(local_host.url) == local_host.url + "/"


# ── the passes themselves ──────────────────────────────────────────────────────


def test_a_ticket_is_single_use_and_expires() -> None:
    tickets = Passes(lifetime=0.2, limit=4, single_use=True)
    first = tickets.issue()
    assert tickets.valid(first)
    assert not tickets.valid(first)
    late = tickets.issue()
    time.sleep(0.25)
    assert not tickets.valid(late)
    assert not tickets.valid("")
    assert not tickets.valid(None)


def test_a_session_lasts_until_it_expires_and_the_oldest_go_at_the_limit() -> None:
    sessions = Passes(lifetime=60, limit=3, single_use=False)
    issued = [sessions.issue() for _ in range(4)]
    assert not sessions.valid(issued[0])  # dropped for the fourth
    assert all(sessions.valid(s) for s in issued[1:])
    assert all(sessions.valid(s) for s in issued[1:])  # not used up
    assert len(sessions) == 3
