"""Many status streams on one client leave room for every other call (core/transport.py).

With one pool of 64 connections, 64 followed desktops held every connection: the 65th
desktop's status and any other call waited for a connection that never came.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, aclosing

import pytest

from core.desktop import AsyncDesktopClient
from core.models import DesktopProcessStatusList
from core.transport import CALL_CONNECTIONS, AsyncTransport
from tests.fleet.conftest import FAST_RETRY, desktop_ref
from tests.support.fake_control_plane import API_KEY, FakeCloud
from tests.support.loopback import serve


async def test_streams_past_the_call_pool_do_not_starve_calls() -> None:
    streams = CALL_CONNECTIONS + 6
    app = FakeCloud(streams + 1, desktops=streams + 1, heartbeat=0.5)
    with serve(app) as url:
        transport = AsyncTransport(api_key=API_KEY, base_url=url, timeout=3.0, retry=FAST_RETRY)
        ids = app.desktop_ids()
        async with AsyncDesktopClient(transport) as client, AsyncExitStack() as stack:
            followed: list[AsyncGenerator[DesktopProcessStatusList, None]] = []
            for sandbox_id in ids[:streams]:
                events = client.status_stream(desktop_ref(url, sandbox_id))
                followed.append(await stack.enter_async_context(aclosing(events)))
            # Every stream delivers its first event, the 65th and later included ...
            firsts = await asyncio.wait_for(
                asyncio.gather(*(anext(events) for events in followed)), 10
            )
            assert [status.status for status in firsts] == ["running"] * streams
            # ... and while they are all open, a call to another desktop still answers.
            status = await client.process_status(desktop_ref(url, ids[streams]), http_timeout=3)
            assert status.running == 4


def test_a_missing_sniffio_is_looked_for_once() -> None:
    """httpcore imports sniffio on every lock; a failed import is not remembered by Python,
    so the transport remembers it (2 ms of CPU a request when 1,000 desktops were polled)."""
    import importlib.util
    import sys

    import core.transport  # noqa: F401

    if importlib.util.find_spec("sniffio") is not None:
        pytest.skip("sniffio is installed")
    assert "sniffio" in sys.modules and sys.modules["sniffio"] is None
