"""Error statuses and failures become core.errors; only GETs are retried."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from core import (
    AsyncDesktopClient,
    Leap0APIError,
    Leap0AuthError,
    Leap0ConflictError,
    Leap0ConnectionError,
    Leap0NotFoundError,
    Leap0RateLimitError,
    Leap0ServerError,
    Leap0TimeoutError,
    Leap0ValidationError,
    RetryPolicy,
)
from core.desktop import TYPING_SECONDS_PER_CHARACTER
from core.transport import SERVER_TEXT_LIMIT, AsyncTransport, error_for_exception
from tests.client.conftest import FAST_RETRY, TOKEN
from tests.support.fake_desktop import Reply, ScriptedDesktop
from tests.support.loopback import free_port

DISPLAY = {"display": ":0", "width": 1440, "height": 900}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, Leap0AuthError),
        (403, Leap0AuthError),
        (404, Leap0NotFoundError),
        (409, Leap0ConflictError),
        (429, Leap0RateLimitError),
        (500, Leap0ServerError),
        (502, Leap0ServerError),
        (503, Leap0ServerError),
        (418, Leap0APIError),
    ],
)
async def test_status_becomes_its_error(
    status: int,
    error: type[Leap0APIError],
    client: AsyncDesktopClient,
    fake: ScriptedDesktop,
    url: str,
) -> None:
    fake.on("POST", "/api/recording/start", Reply(status, {"message": f"said {status}"}))

    with pytest.raises(error) as caught:
        await client.start_recording(url)

    exc = caught.value
    assert type(exc) is error
    assert exc.status_code == status
    assert exc.server_message == f"said {status}"
    assert exc.desktop == url
    message = str(exc)
    assert "start recording" in message
    assert url in message
    assert str(status) in message
    assert f"said {status}" in message


async def test_400_carries_the_servers_field_errors(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    body = {"message": "Invalid request", "errors": [{"field": "width", "error": "too wide"}]}
    fake.on("POST", "/api/display/screen", Reply(400, body))

    with pytest.raises(Leap0ValidationError) as caught:
        await client.resize_screen(url, width=7680, height=4320)

    assert caught.value.status_code == 400
    assert caught.value.field == "width"
    assert [(e.field, e.error) for e in caught.value.errors] == [("width", "too wide")]
    assert "width: too wide" in str(caught.value)


async def test_429_reports_retry_after(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    slow_down = Reply(429, {"message": "slow down"}, headers={"Retry-After": "7"})
    fake.on("POST", "/api/input/type", slow_down)

    with pytest.raises(Leap0RateLimitError) as caught:
        await client.type_text(url, text="hi")

    assert caught.value.retry_after == 7


async def test_an_error_body_that_is_not_json(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/display", Reply(502, body=b"<html>Bad Gateway</html>"))

    with pytest.raises(Leap0ServerError) as caught:
        await client.display_info(url)

    assert "Bad Gateway" in str(caught.value)
    assert "<" not in str(caught.value)


async def test_a_401_says_the_servers_own_text_first(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    """A status line cut at its width must still show why: the server's words lead."""
    said = "missing or wrong token: send Authorization: Bearer <token>"
    fake.on("GET", "/api/display", Reply(401, {"message": said}))

    with pytest.raises(Leap0AuthError) as caught:
        await client.display_info(url)

    message = str(caught.value)
    assert message == f"401 Unauthorized: {said} (display info on {url})"
    assert "\n" not in message


async def test_a_proxys_html_page_gives_its_status_and_title(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    page = (
        b"<!DOCTYPE html>\n<html><head>\n<title>\n  Upstream desktop is &quot;down&quot;\n"
        b"</title><style>body{}</style></head><body><h1>502</h1>" + b"<p>x</p>" * 500 + b"</html>"
    )
    headers = {"content-type": "text/html; charset=utf-8"}
    fake.on("GET", "/api/display", Reply(502, body=page, headers=headers))

    with pytest.raises(Leap0ServerError) as caught:
        await client.display_info(url)

    assert (
        str(caught.value) == f'502 Bad Gateway: Upstream desktop is "down" (display info on {url})'
    )
    assert caught.value.server_message == 'Upstream desktop is "down"'


async def test_a_page_titled_with_its_status_does_not_say_it_twice(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    fake.on("GET", "/api/display", Reply(502, body=page, headers={"content-type": "text/html"}))

    with pytest.raises(Leap0ServerError) as caught:
        await client.display_info(url)

    assert str(caught.value) == f"502 Bad Gateway (display info on {url})"


async def test_a_long_plain_text_body_is_cut_to_one_short_line(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/display", Reply(500, body=b"boom\n" * 200))

    with pytest.raises(Leap0ServerError) as caught:
        await client.display_info(url)

    said = caught.value.server_message
    assert said is not None and said.startswith("boom boom") and said.endswith("…")
    assert len(said) == SERVER_TEXT_LIMIT
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "exc", [httpx.ReadError(""), httpx.RemoteProtocolError(""), httpx.ConnectError("")]
)
def test_an_httpx_error_without_text_is_named_by_its_kind(exc: httpx.HTTPError) -> None:
    """An exception object is always true: ``exc or name`` never fell back to the name,
    and a reset connection read "connection ... broke ()"."""
    error = error_for_exception(exc, "download", "http://h:1")

    assert "()" not in str(error)
    assert type(exc).__name__ in str(error)


async def test_slow_answer_times_out_per_call(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/display", Reply(json=DISPLAY, delay=1.0))

    started = time.monotonic()
    with pytest.raises(Leap0TimeoutError) as caught:
        await client.display_info(url, http_timeout=0.2)

    assert time.monotonic() - started < 0.9  # neither the default 5 s nor retried
    assert url in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)
    assert len(fake.seen) == 1


async def test_typing_a_long_text_waits_longer_than_the_default_timeout(
    fake: ScriptedDesktop, url: str
) -> None:
    """The server answers once it has typed it all: the default grows with the text."""
    fake.on("POST", "/api/input/type", Reply(json={"ok": True}, delay=1.0))
    async with AsyncDesktopClient(AsyncTransport(api_key=TOKEN, timeout=0.5)) as client:
        with pytest.raises(Leap0TimeoutError):
            await client.type_text(url, text="short")
        # 0.5 s + 200 characters' worth is past the server's second.
        assert 200 * TYPING_SECONDS_PER_CHARACTER > 0.5
        assert await client.type_text(url, text="x" * 200)


async def test_refused_connection(client: AsyncDesktopClient) -> None:
    closed = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(Leap0ConnectionError) as caught:
        await client.display_info(closed)

    assert str(caught.value) == f"display info: cannot connect to {closed} (connection refused)"
    assert caught.value.desktop == closed
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_an_unknown_host_name_says_so(client: AsyncDesktopClient) -> None:
    nowhere = "http://no-such-host.invalid:8123"  # .invalid never resolves (RFC 6761)

    with pytest.raises(Leap0ConnectionError) as caught:
        await client.display_info(nowhere)

    assert str(caught.value).endswith(f"cannot connect to {nowhere} (host name not resolved)")


async def test_refused_connection_on_a_post(client: AsyncDesktopClient) -> None:
    with pytest.raises(Leap0ConnectionError):
        await client.move_pointer(f"http://127.0.0.1:{free_port()}", x=1, y=1)


# ── retries ──


async def test_get_retries_503_then_succeeds(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/display", Reply(503), Reply(503), Reply(json=DISPLAY))

    info = await client.display_info(url)

    assert info.width == 1440
    assert len(fake.seen) == 3


async def test_get_gives_up_after_the_policys_attempts(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/recordings", Reply(503, {"message": "busy"}))

    with pytest.raises(Leap0ServerError):
        await client.recordings(url)

    assert len(fake.seen) == FAST_RETRY.attempts


async def test_get_honours_retry_after(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on(
        "GET",
        "/api/status",
        Reply(429, {"message": "slow down"}, headers={"Retry-After": "0.3"}),
        Reply(json={"status": "stopped", "items": [], "running": 0, "total": 0}),
    )

    status = await client.process_status(url)

    assert status.status == "stopped"
    first, second = fake.seen
    # The policy's own back-off here is 0.01 s; the server asked for 0.3 s.
    assert second.at - first.at >= 0.28


async def test_get_does_not_retry_other_errors(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/display", Reply(500))

    with pytest.raises(Leap0ServerError):
        await client.display_info(url)

    assert len(fake.seen) == 1


Call = Callable[[AsyncDesktopClient, str], Awaitable[Any]]

NEVER_RETRIED: list[tuple[str, str, str, Call]] = [
    (
        "resize_screen",
        "POST",
        "/api/display/screen",
        lambda c, u: c.resize_screen(u, width=800, height=600),
    ),
    (
        "screenshot_region",
        "POST",
        "/api/screenshot/region",
        lambda c, u: c.screenshot_region(u, x=0, y=0, width=1, height=1),
    ),
    ("move_pointer", "POST", "/api/input/move", lambda c, u: c.move_pointer(u, x=1, y=1)),
    ("click", "POST", "/api/input/click", lambda c, u: c.click(u)),
    ("drag", "POST", "/api/input/drag", lambda c, u: c.drag(u, from_x=0, from_y=0, to_x=1, to_y=1)),
    ("scroll", "POST", "/api/input/scroll", lambda c, u: c.scroll(u, direction="up")),
    ("type_text", "POST", "/api/input/type", lambda c, u: c.type_text(u, text="x")),
    ("press_key", "POST", "/api/input/press", lambda c, u: c.press_key(u, key="a")),
    ("hotkey", "POST", "/api/input/hotkey", lambda c, u: c.hotkey(u, keys=["a"])),
    ("start_recording", "POST", "/api/recording/start", lambda c, u: c.start_recording(u)),
    ("stop_recording", "POST", "/api/recording/stop", lambda c, u: c.stop_recording(u)),
    ("delete_recording", "DELETE", "/api/recordings/r", lambda c, u: c.delete_recording(u, "r")),
    (
        "restart_process",
        "POST",
        "/api/process/x11vnc/restart",
        lambda c, u: c.restart_process(u, "x11vnc"),
    ),
]


@pytest.mark.parametrize("status", [503, 429])
@pytest.mark.parametrize(
    ("method", "path", "call"),
    [(m, p, c) for _, m, p, c in NEVER_RETRIED],
    ids=[i for i, _, _, _ in NEVER_RETRIED],
)
async def test_actions_are_never_retried(
    method: str,
    path: str,
    call: Call,
    status: int,
    client: AsyncDesktopClient,
    fake: ScriptedDesktop,
    url: str,
) -> None:
    fake.on(method, path, Reply(status, {"message": "busy"}), Reply(200, {"ok": True}))

    with pytest.raises(Leap0ServerError if status == 503 else Leap0RateLimitError):
        await call(client, url)

    assert [(s.method, s.path) for s in fake.seen] == [(method, path)]


def test_back_off_stays_bounded_however_long_a_loop_runs() -> None:
    # wait_until_ready counts reconnects without limit; 2.0**1024 used to overflow here.
    policy = RetryPolicy(base_delay=0.01, max_delay=1.0)
    assert 1.0 <= policy.delay(5000) <= 1.25
