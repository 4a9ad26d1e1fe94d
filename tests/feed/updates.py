"""Reading a StatusFeed in tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core import FeedUpdate, StatusFeed


async def take_until(
    feed: StatusFeed, done: Callable[[FeedUpdate], bool], limit: float = 5.0
) -> list[FeedUpdate]:
    """The feed's updates up to and including the first for which ``done`` is true."""
    updates: list[FeedUpdate] = []
    async with asyncio.timeout(limit):
        async for update in feed:
            updates.append(update)
            if done(update):
                return updates
    raise AssertionError(f"the feed ended after {[u.state for u in updates]}")
