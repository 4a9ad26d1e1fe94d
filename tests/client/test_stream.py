"""The SSE status stream and wait_until_ready, against streams that misbehave on purpose."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import aclosing

import pytest
from pydantic import ValidationError

from core import (
    AsyncDesktopClient,
    DesktopProcessStatusList,
    Leap0AuthError,
    Leap0ConnectionError,
    Leap0NotFoundError,
    Leap0StreamError,
    Leap0TimeoutError,
    Leap0ValidationError,
)
from tests.support.fake_desktop import BREAK, TOKEN, Reply, ScriptedDesktop, event, process_status

STREAM = "/api/status/stream"


async def collect(
    client: AsyncDesktopClient,
    url: str,
    into: list[DesktopProcessStatusList] | None = None,
    **kwargs: float,
) -> list[DesktopProcessStatusList]:
    """Every status the stream yields; ``into`` keeps them when the stream raises."""
    got = [] if into is None else into
    async with aclosing(client.status_stream(url, **kwargs)) as stream:
        async for status in stream:
            got.append(status)
    return got


# ── status_stream ──


async def test_events_are_parsed_and_the_stream_ends_when_the_server_closes_it(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("degraded"), event("running")]))

    got = await collect(client, url)

    assert [s.status for s in got] == ["degraded", "running"]
    assert got[0] == DesktopProcessStatusList.model_validate(process_status("degraded"))
    [seen] = fake.seen
    assert seen.method == "GET"
    assert seen.headers["accept"] == "text/event-stream"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"


async def test_heartbeats_and_empty_events_are_skipped(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    script = [
        event("degraded", event_id="1"),
        ": ping\n\n",  # after an id, a comment arrives as an empty event
        "data:\n\n",
        "event: status\n\n",
        "retry: 1000\n\n",
        f"event: status\ndata: {json.dumps(process_status('running'))}\n\n",
    ]
    fake.on("GET", STREAM, Reply(sse=script))

    got = await collect(client, url)

    assert [s.status for s in got] == ["degraded", "running"]


async def test_event_split_across_chunks(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    text = event("running")
    fake.on("GET", STREAM, Reply(sse=[text[:7], 0.05, text[7:30], 0.05, text[30:]]))

    assert [s.status for s in await collect(client, url)] == ["running"]


async def test_closing_mid_event_ends_the_iterator(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("degraded"), 'data: {"status": "runn']))

    got = await collect(client, url)

    assert [s.status for s in got] == ["degraded"]


async def test_error_event_raises_with_its_text(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on(
        "GET",
        STREAM,
        Reply(sse=[event("degraded"), "event: error\ndata: supervisor lost xvfb\n\n", event()]),
    )
    got: list[DesktopProcessStatusList] = []

    with pytest.raises(Leap0StreamError) as caught:
        await collect(client, url, got)

    assert [s.status for s in got] == ["degraded"]
    assert "supervisor lost xvfb" in str(caught.value)
    assert url in str(caught.value)


@pytest.mark.parametrize(
    "data",
    ["{not json", '{"status": "fine", "items": []}', "[1, 2]"],
    ids=["json", "shape", "list"],
)
async def test_malformed_event_raises_with_its_cause(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str, data: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[f"data: {data}\n\n"]))

    with pytest.raises(Leap0StreamError) as caught:
        await collect(client, url)

    assert "malformed event" in str(caught.value)
    assert isinstance(caught.value.__cause__, ValidationError)


async def test_broken_chunked_stream_is_a_connection_error(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("degraded"), 0.05, BREAK]))
    got: list[DesktopProcessStatusList] = []

    with pytest.raises(Leap0ConnectionError) as caught:
        await collect(client, url, got)

    assert [s.status for s in got] == ["degraded"]
    assert url in str(caught.value)


async def test_silence_past_the_read_timeout(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("degraded"), 30.0]))
    got: list[DesktopProcessStatusList] = []

    started = time.monotonic()
    with pytest.raises(Leap0TimeoutError) as caught:
        await collect(client, url, got, http_timeout=0.3)

    assert 0.25 < time.monotonic() - started < 2
    assert len(got) == 1
    assert "no event for 0.3 s" in str(caught.value)


async def test_comment_heartbeats_alone_do_not_keep_a_stream_alive(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[": ping\n\n", 0.1] * 30))

    with pytest.raises(Leap0TimeoutError):
        await collect(client, url, http_timeout=0.4)


async def test_deadline_between_events(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("degraded"), 0.05] * 200))
    got: list[DesktopProcessStatusList] = []

    started = time.monotonic()
    with pytest.raises(Leap0TimeoutError) as caught:
        await collect(client, url, got, deadline=started + 0.4)

    assert 0.35 < time.monotonic() - started < 1.5
    assert len(got) >= 3
    assert "deadline" in str(caught.value)


async def test_deadline_holds_for_events_already_received(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    # Three events in one chunk: the second is buffered, but the deadline passed meanwhile.
    fake.on("GET", STREAM, Reply(sse=[event("stopped") + event("degraded") + event(), 30.0]))
    got: list[DesktopProcessStatusList] = []

    with pytest.raises(Leap0TimeoutError):
        async with aclosing(client.status_stream(url, deadline=time.monotonic() + 0.2)) as stream:
            async for status in stream:
                got.append(status)
                await asyncio.sleep(0.3)

    assert [s.status for s in got] == ["stopped"]


async def test_deadline_while_the_stream_is_silent(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    # The read timeout (10 s by default) is far away: the deadline must bound the wait.
    fake.on("GET", STREAM, Reply(sse=[event("degraded"), 30.0]))

    started = time.monotonic()
    with pytest.raises(Leap0TimeoutError) as caught:
        await collect(client, url, deadline=started + 0.3)

    assert time.monotonic() - started < 1.5
    assert "deadline" in str(caught.value)


async def test_deadline_while_connecting(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event()], delay=5.0))

    started = time.monotonic()
    with pytest.raises(Leap0TimeoutError):
        await collect(client, url, deadline=started + 0.3)

    assert time.monotonic() - started < 1.5


async def test_a_past_deadline_sends_nothing(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    with pytest.raises(Leap0TimeoutError):
        await collect(client, url, deadline=time.monotonic() - 1)

    assert fake.seen == []


async def test_stream_refused_with_401(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(401, {"message": "bad token"}))

    with pytest.raises(Leap0AuthError) as caught:
        await collect(client, url)

    assert "bad token" in str(caught.value)


async def test_a_stream_that_is_not_sse(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(json=process_status()))

    with pytest.raises(Leap0StreamError) as caught:
        await collect(client, url)

    assert "application/json" in str(caught.value)


# ── wait_until_ready ──


async def test_ready_after_a_degraded_event(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("stopped"), event("degraded"), 0.05, event(), 30.0]))

    await client.wait_until_ready(url, timeout=5)

    assert len(fake.seen) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, Leap0AuthError), (403, Leap0AuthError), (404, Leap0NotFoundError)],
)
async def test_not_ready_for_good_fails_at_once(
    client: AsyncDesktopClient,
    fake: ScriptedDesktop,
    url: str,
    status: int,
    error: type[Exception],
) -> None:
    fake.on("GET", STREAM, Reply(status, {"message": "no"}), Reply(sse=[event()]))

    started = time.monotonic()
    with pytest.raises(error):
        await client.wait_until_ready(url, timeout=30)

    assert time.monotonic() - started < 1
    assert len(fake.seen) == 1


async def test_bad_reference_fails_at_once(
    client: AsyncDesktopClient, fake: ScriptedDesktop
) -> None:
    with pytest.raises(Leap0ValidationError):
        await client.wait_until_ready("no/such", timeout=30)
    assert fake.seen == []


@pytest.mark.parametrize(
    "first",
    [
        Reply(sse=[event("degraded")]),  # the server closes the stream
        Reply(sse=[event("degraded"), 0.05, BREAK]),  # the connection breaks
        Reply(sse=[event("degraded"), "event: error\ndata: restarting\n\n"]),
        Reply(sse=[event("degraded"), "data: {garbled\n\n"]),
        Reply(sse=[event("degraded"), 30.0]),  # silence past the read timeout
        Reply(503, {"message": "warming up"}),
        Reply(502, body=b"bad gateway"),
        Reply(429, {"message": "slow down"}),
        Reply(json={"not": "a stream"}),
    ],
    ids=["closed", "broken", "error-event", "malformed", "silent", "503", "502", "429", "not-sse"],
)
async def test_reconnects_after_a_transient_failure(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str, first: Reply
) -> None:
    fake.on("GET", STREAM, first, Reply(sse=[event("running"), 30.0]))

    await client.wait_until_ready(url, timeout=5, http_timeout=0.3)

    assert fake.paths() == [STREAM, STREAM]


async def test_reconnects_many_times_with_back_off(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    drop = Reply(sse=[event("degraded")])
    fake.on("GET", STREAM, drop, drop, drop, drop, Reply(sse=[event("running")]))

    await client.wait_until_ready(url, timeout=5)

    assert len(fake.seen) == 5
    gaps = [b.at - a.at for a, b in zip(fake.seen, fake.seen[1:], strict=False)]
    assert all(gap > 0.005 for gap in gaps)  # it waits between attempts


async def test_reconnect_honours_retry_after(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on(
        "GET",
        STREAM,
        Reply(429, {"message": "slow down"}, headers={"Retry-After": "0.3"}),
        Reply(sse=[event("running")]),
    )

    await client.wait_until_ready(url, timeout=5)

    first, second = fake.seen
    assert second.at - first.at >= 0.28


async def test_times_out_naming_the_desktop_and_the_last_status(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(sse=[event("degraded"), 0.05] * 200))

    started = time.monotonic()
    with pytest.raises(Leap0TimeoutError) as caught:
        await client.wait_until_ready(url, timeout=0.5)

    assert 0.45 < time.monotonic() - started < 2
    message = str(caught.value)
    assert url in message
    assert "degraded" in message
    assert "xfce4" in message  # what is down
    assert caught.value.desktop == url


async def test_times_out_naming_the_last_error(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", STREAM, Reply(503, {"message": "desktop still booting"}))

    with pytest.raises(Leap0TimeoutError) as caught:
        await client.wait_until_ready(url, timeout=0.4)

    assert "desktop still booting" in str(caught.value)
    assert len(fake.seen) > 2
