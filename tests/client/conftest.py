"""Client test fixtures: one fake desktop on loopback and one client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from core import AsyncDesktopClient, AsyncTransport, RetryPolicy
from tests.client.fake_desktop import TOKEN, FakeDesktop
from tests.support.loopback import serve

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=1.0)


@pytest.fixture(scope="session")
def fake_server() -> Iterator[tuple[FakeDesktop, str]]:
    app = FakeDesktop()
    with serve(app) as url:
        yield app, url


@pytest.fixture
def fake(fake_server: tuple[FakeDesktop, str]) -> Iterator[FakeDesktop]:
    """The fake desktop, with no routes and nothing seen."""
    app, _ = fake_server
    app.reset()
    yield app
    app.reset()


@pytest.fixture
def url(fake_server: tuple[FakeDesktop, str]) -> str:
    """The fake desktop's base URL, a self-hosted desktop reference."""
    return fake_server[1]


@pytest.fixture(scope="session")
async def client() -> AsyncIterator[AsyncDesktopClient]:
    """One client for the session, as the app has one (building an httpx client takes 0.1 s)."""
    transport = AsyncTransport(api_key=TOKEN, timeout=5.0, retry=FAST_RETRY)
    async with AsyncDesktopClient(transport) as desktop:
        yield desktop
