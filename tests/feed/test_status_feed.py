"""StatusFeed over real HTTP against a fake desktop that misbehaves on demand."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from core import (
    AsyncDesktopClient,
    FeedState,
    FeedUpdate,
    Leap0AuthError,
    Leap0ConnectionError,
    Leap0NotFoundError,
    Leap0ServerError,
    Leap0StreamError,
    Leap0TimeoutError,
    Leap0ValidationError,
    RetryPolicy,
    StatusFeed,
)
from tests.feed.updates import take_until
from tests.support.fake_desktop import BREAK, Reply, ScriptedDesktop, event, process_status

STREAM = "/api/status/stream"
STATUS = "/api/status"
CONNECTING, LIVE, RECONNECTING, POLLING, STALE = (
    FeedState.CONNECTING,
    FeedState.LIVE,
    FeedState.RECONNECTING,
    FeedState.POLLING,
    FeedState.STALE,
)
BACKOFF = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2)
ERROR_BACKOFF = 0.6


def make_feed(client: AsyncDesktopClient, url: str, **timings: Any) -> StatusFeed:
    """A feed with timings 20 times faster than the real ones (heartbeat 0.1 s)."""
    settings: dict[str, Any] = {
        "heartbeat": 0.1,
        "backoff": BACKOFF,
        "error_backoff": ERROR_BACKOFF,
        "sse_retry_interval": 0.5,
        **timings,
    }
    return StatusFeed(client, url, **settings)


def states(updates: list[FeedUpdate]) -> list[FeedState]:
    return [u.state for u in updates]


def overall(update: FeedUpdate) -> str | None:
    return update.status.status if update.status else None


def stream_requests(fake: ScriptedDesktop) -> int:
    return fake.paths().count(STREAM)


async def test_status_events_arrive_live(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("degraded"), 0.05, event("running"), 30.0]))
    clock_offset = 1000.0

    async with make_feed(client, url, clock=lambda: time.monotonic() + clock_offset) as feed:
        updates = await take_until(feed, lambda u: overall(u) == "running")

    assert states(updates) == [CONNECTING, LIVE, LIVE]
    assert [overall(u) for u in updates] == [None, "degraded", "running"]
    first, second, third = updates
    assert first.received_at is None
    assert second.received_at is not None and third.received_at is not None
    assert clock_offset < second.received_at < third.received_at
    assert all(u.error is None and u.retry_in is None for u in updates)
    assert feed.state is LIVE


async def test_a_stream_closed_by_the_server_is_reopened(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("degraded")]), Reply(sse=[event("running"), 30.0]))

    async with make_feed(client, url) as feed:
        updates = await take_until(feed, lambda u: overall(u) == "running")

    assert states(updates) == [CONNECTING, LIVE, RECONNECTING, LIVE]
    reconnecting = updates[2]
    assert reconnecting.retry_in is not None
    assert BACKOFF.base_delay <= reconnecting.retry_in <= BACKOFF.base_delay * 1.25
    assert reconnecting.error is None  # a clean close is not a failure
    assert overall(reconnecting) == "degraded"  # the last status is kept meanwhile
    assert stream_requests(fake) == 2


@pytest.mark.parametrize(
    ("script", "error_type", "text"),
    [
        (
            [event("degraded"), "event: error\ndata: capture failed\n\n"],
            Leap0StreamError,
            "capture failed",
        ),
        ([event("degraded"), 0.05, BREAK], Leap0ConnectionError, "broke"),
    ],
    ids=["event-error", "broken-connection"],
)
async def test_a_failing_stream_is_reconnected_with_its_error_reported(
    client: AsyncDesktopClient,
    fake: ScriptedDesktop,
    url: str,
    script: list[object],
    error_type: type[Exception],
    text: str,
) -> None:
    fake.on("GET", STREAM, Reply(sse=script), Reply(sse=[event("running"), 30.0]))

    async with make_feed(client, url) as feed:
        updates = await take_until(feed, lambda u: overall(u) == "running")

    assert states(updates) == [CONNECTING, LIVE, RECONNECTING, LIVE]
    error = updates[2].error
    assert isinstance(error, error_type)
    assert text in str(error)
    assert updates[2].error_text is not None and "\n" not in updates[2].error_text
    assert updates[3].error is None


async def test_a_missing_stream_route_falls_back_to_polling_and_back_to_live(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    # The stream route is not scripted: it answers 404, while GET /api/status works.
    fake.on("GET", STATUS, Reply(json=process_status("degraded")), Reply(json=process_status()))

    async with make_feed(client, url) as feed:
        updates = await take_until(feed, lambda u: overall(u) == "running")
        assert states(updates) == [CONNECTING, POLLING, POLLING]
        assert isinstance(updates[1].error, Leap0NotFoundError)  # why it polls
        assert updates[1].received_at is not None and updates[2].received_at is not None
        gap = updates[2].received_at - updates[1].received_at
        assert 0.09 <= gap <= 0.5  # one poll_interval (0.1 s) apart

        # The stream is tried again every sse_retry_interval; once it works, the feed is live.
        fake.on("GET", STREAM, Reply(sse=[event("stopped"), 30.0]))
        later = await take_until(feed, lambda u: u.state is LIVE)

    assert set(states(later[:-1])) == {POLLING}
    assert overall(later[-1]) == "stopped"
    assert later[-1].error is None


async def test_a_stream_failing_again_and_again_falls_back_to_polling(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(500, {"message": "proxy says no"}))
    fake.on("GET", STATUS, Reply(json=process_status()))

    async with make_feed(client, url) as feed:
        updates = await take_until(feed, lambda u: u.state is POLLING)

    assert states(updates) == [CONNECTING, RECONNECTING, RECONNECTING, POLLING]
    assert all(isinstance(u.error, Leap0ServerError) for u in updates[1:])
    assert fake.paths()[: BACKOFF.attempts + 1] == [STREAM] * BACKOFF.attempts + [STATUS]


async def test_silence_marks_the_feed_stale_then_it_reconnects(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event(), 30.0]))

    async with make_feed(client, url, read_timeout=0.8) as feed:
        updates = await take_until(feed, lambda u: u.state is RECONNECTING)
        stale_at = time.monotonic()

    assert states(updates) == [CONNECTING, LIVE, STALE, RECONNECTING]
    live, stale, reconnecting = updates[1:]
    assert stale.received_at == live.received_at  # no event since
    assert stale.error is None
    assert isinstance(reconnecting.error, Leap0TimeoutError)
    assert live.received_at is not None
    assert stale_at - live.received_at >= 0.8  # dead only after read_timeout


async def test_stale_ends_when_events_resume(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("degraded"), 0.5, event(), 30.0]))

    async with make_feed(client, url, read_timeout=2.0) as feed:
        updates = await take_until(feed, lambda u: overall(u) == "running")

    assert states(updates) == [CONNECTING, LIVE, STALE, LIVE]


async def test_an_auth_error_is_surfaced_and_retried_only_after_a_long_wait(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(401, {"message": "bad token"}))

    async with make_feed(client, url) as feed:
        first = await take_until(feed, lambda u: u.state is RECONNECTING)
        failed_at = time.monotonic()
        second = await take_until(feed, lambda u: u.state is RECONNECTING)
        waited = time.monotonic() - failed_at

        fake.on("GET", STREAM, Reply(sse=[event(), 30.0]))  # the token is fixed
        recovered = await take_until(feed, lambda u: u.state is LIVE)

    assert states(first) == [CONNECTING, RECONNECTING]
    for update in (first[-1], second[-1]):
        assert isinstance(update.error, Leap0AuthError)
        assert "bad token" in str(update.error)
        assert update.retry_in == ERROR_BACKOFF
    assert waited >= ERROR_BACKOFF
    assert stream_requests(fake) == 3
    assert STATUS not in fake.paths()  # an auth error is not a reason to poll
    assert states(recovered) == [LIVE]


async def test_a_missing_desktop_is_surfaced_not_polled(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    # Neither route is scripted: both 404, so the desktop itself is not there.
    async with make_feed(client, url) as feed:
        updates = await take_until(feed, lambda u: u.state is not CONNECTING)

    assert states(updates) == [CONNECTING, RECONNECTING]
    assert isinstance(updates[1].error, Leap0NotFoundError)
    assert updates[1].retry_in == ERROR_BACKOFF
    assert fake.paths() == [STREAM, STATUS]


async def test_close_ends_the_iteration_and_the_connection(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event(), 30.0]))
    feed = make_feed(client, url)
    seen: list[FeedState] = []
    live = asyncio.Event()

    async def consume() -> None:
        async for update in feed:
            seen.append(update.state)
            if update.state is LIVE:
                live.set()

    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(live.wait(), 5)
    feed.close()  # from another task, while the consumer waits for the next event
    await asyncio.wait_for(consumer, 2)

    assert seen == [CONNECTING, LIVE]
    assert feed.closed
    await feed.aclose()  # idempotent


async def test_cancelling_the_consumer_stops_the_feed(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event(), 30.0]))
    feed = make_feed(client, url)
    live = asyncio.Event()

    async def consume() -> None:
        async for update in feed:
            if update.state is LIVE:
                live.set()

    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(live.wait(), 5)
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    tasks = [t for t in asyncio.all_tasks() if "_read_stream" in repr(t.get_coro())]
    assert tasks == []  # the connection's reader went with it


async def test_a_malformed_sandbox_is_refused_at_once(client: AsyncDesktopClient) -> None:
    with pytest.raises(Leap0ValidationError):
        StatusFeed(client, "../etc")
