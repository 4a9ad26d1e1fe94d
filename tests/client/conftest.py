"""Client test fixtures: one client (the fake desktop's fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core import AsyncDesktopClient, AsyncTransport, RetryPolicy
from tests.support.fake_desktop import TOKEN

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=1.0)


@pytest.fixture(scope="session")
async def client() -> AsyncIterator[AsyncDesktopClient]:
    """One client for the session, as the app has one (building an httpx client takes 0.1 s)."""
    transport = AsyncTransport(api_key=TOKEN, timeout=5.0, retry=FAST_RETRY)
    async with AsyncDesktopClient(transport) as desktop:
        yield desktop
