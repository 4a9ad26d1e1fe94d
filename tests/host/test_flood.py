"""A flood of half-open connections does not choke the host (loopback only, bounded).

A host of the test's own gets up to 2,000 connections that each send half a request
line and then nothing, with no token. Meanwhile healthz with the token answers within a
second and a status stream opened before keeps its events coming; the half-open ones are
closed after the header timeout, the host's descriptors come back, and its log says so in
a few lines, with no traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import time
from urllib.parse import urlsplit

import httpx

from core.host.guard import DEFAULT_HEADER_TIMEOUT
from tests.conftest import StartHost

FLOOD = 2000
"""Half-open connections at most (fewer if this process may not open that many files)."""


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _open_half_requests(port: int, count: int) -> list[socket.socket]:
    socks: list[socket.socket] = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        socks.append(sock)
    deadline = time.monotonic() + 10
    pending = list(socks)
    while pending and time.monotonic() < deadline:
        left = []
        for sock in pending:
            try:
                sock.send(b"GET /api/heal")  # half a request line, no token
            except (BlockingIOError, OSError):
                left.append(sock)
        pending = left
        if pending:
            time.sleep(0.01)
    return socks


def _closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


async def test_a_half_open_flood_does_not_choke_the_host(start_extra_host: StartHost) -> None:
    host = start_extra_host()
    port = urlsplit(host.url).port
    assert port is not None
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    count = min(FLOOD, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 300)
    assert count >= 500, "too few descriptors for a flood worth the name"
    headers = {"Authorization": f"Bearer {host.token}"}
    before = _fds(host.pid)

    events: list[float] = []

    async def follow() -> None:
        async with (
            httpx.AsyncClient(headers=headers, timeout=30) as client,
            client.stream("GET", f"{host.url}/api/status/stream") as stream,
        ):
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    events.append(time.monotonic())

    stream = asyncio.create_task(follow())
    socks: list[socket.socket] = []
    try:
        await asyncio.sleep(0.5)
        flood_started = time.monotonic()
        socks = await asyncio.to_thread(_open_half_requests, port, count)
        peak = _fds(host.pid)
        latencies: list[float] = []
        async with httpx.AsyncClient(headers=headers, timeout=1.0) as client:
            for _ in range(10):
                started = time.monotonic()
                answer = await client.get(
                    f"{host.url}/api/healthz", headers={"Connection": "close"}
                )
                latencies.append(time.monotonic() - started)
                assert answer.status_code == 200 and answer.json() == {"ok": True}
                await asyncio.sleep(0.2)
        assert max(latencies) < 1.0, latencies
        assert peak >= before + count // 2, (before, peak)  # the flood did reach the host

        # After the header timeout the half-open ones are closed and the fds are back.
        deadline = flood_started + DEFAULT_HEADER_TIMEOUT + 10
        while _fds(host.pid) > before + 10 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        assert _fds(host.pid) <= before + 10, (before, peak, _fds(host.pid))
        closed = sum(1 for sock in socks if _closed_by_peer(sock))
        assert closed >= count * 0.99, (closed, count)

        # The stream (in a request all along) was not closed with them.
        assert not stream.done(), stream
        seen = len(events)
        await asyncio.sleep(2.5)
        assert len(events) > seen, "the status stream stopped during the flood"
    finally:
        for sock in socks:
            sock.close()
        stream.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await stream
    log = host.log_tail(200_000)
    assert "Traceback" not in log
    flood_lines = [line for line in log.splitlines() if "connection flood" in line]
    assert 1 <= len(flood_lines) <= 20, flood_lines
