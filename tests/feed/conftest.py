"""Fixtures of the feed and download tests: misbehaving servers on loopback, a fast client.

The status feed is tested against the scriptable fake desktop (``fake`` and ``url`` in
``tests/conftest.py``), downloads against :mod:`tests.feed.recording_server`;
both run under uvicorn on 127.0.0.1 (``tests/support/loopback.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from core import AsyncDesktopClient, AsyncTransport, RetryPolicy
from tests.feed.recording_server import RecordingServer
from tests.support.fake_desktop import TOKEN
from tests.support.loopback import serve

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.2)


@pytest.fixture(scope="session")
def recording_server() -> Iterator[tuple[RecordingServer, str]]:
    app = RecordingServer()
    with serve(app) as url:
        yield app, url


@pytest.fixture
def recordings(recording_server: tuple[RecordingServer, str]) -> Iterator[RecordingServer]:
    """The recording server, with nothing published and no faults."""
    app, _ = recording_server
    app.reset()
    yield app
    app.reset()


@pytest.fixture
def recordings_url(recording_server: tuple[RecordingServer, str]) -> str:
    return recording_server[1]


@pytest.fixture
async def client() -> AsyncIterator[AsyncDesktopClient]:
    transport = AsyncTransport(api_key=TOKEN, timeout=5.0, retry=FAST_RETRY)
    async with AsyncDesktopClient(transport) as desktop:
        yield desktop
