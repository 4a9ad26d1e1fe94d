"""Bad input is refused before any request, with the field named; references resolve right."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from core import (
    AsyncDesktopClient,
    AsyncTransport,
    DesktopTarget,
    Leap0NotFoundError,
    Leap0ValidationError,
)
from tests.support.fake_desktop import TOKEN, Reply, ScriptedDesktop

Call = Callable[[AsyncDesktopClient, str], Awaitable[Any]]

REFUSED: list[tuple[str, Call, str]] = [
    # resize: 320..7680 x 320..4320, integers
    ("width below 320", lambda c, u: c.resize_screen(u, width=319, height=800), "width"),
    ("width above 7680", lambda c, u: c.resize_screen(u, width=7681, height=800), "width"),
    ("height below 320", lambda c, u: c.resize_screen(u, width=800, height=319), "height"),
    ("height above 4320", lambda c, u: c.resize_screen(u, width=800, height=4321), "height"),
    ("width not an int", lambda c, u: c.resize_screen(u, width=1280.5, height=800), "width"),  # type: ignore[arg-type]
    ("width a bool", lambda c, u: c.resize_screen(u, width=True, height=800), "width"),
    # coordinates >= 0
    ("move x negative", lambda c, u: c.move_pointer(u, x=-1, y=0), "x"),
    ("move y negative", lambda c, u: c.move_pointer(u, x=0, y=-5), "y"),
    ("click x negative", lambda c, u: c.click(u, x=-1, y=0), "x"),
    ("drag from_x negative", lambda c, u: c.drag(u, from_x=-1, from_y=0, to_x=1, to_y=1), "from_x"),
    ("drag to_y negative", lambda c, u: c.drag(u, from_x=0, from_y=0, to_x=1, to_y=-1), "to_y"),
    ("region x negative", lambda c, u: c.screenshot_region(u, x=-1, y=0, width=1, height=1), "x"),
    ("screenshot y negative", lambda c, u: c.screenshot(u, y=-3), "y"),
    # click x and y together
    ("click x alone", lambda c, u: c.click(u, x=5), "y"),
    ("click y alone", lambda c, u: c.click(u, y=5), "x"),
    # button 1..3
    ("click button 0", lambda c, u: c.click(u, button=0), "button"),
    ("click button 4", lambda c, u: c.click(u, x=1, y=1, button=4), "button"),
    (
        "drag button 4",
        lambda c, u: c.drag(u, from_x=0, from_y=0, to_x=1, to_y=1, button=4),
        "button",
    ),
    # scroll
    ("scroll direction", lambda c, u: c.scroll(u, direction="sideways"), "direction"),
    ("scroll amount 0", lambda c, u: c.scroll(u, direction="up", amount=0), "amount"),
    ("scroll amount 101", lambda c, u: c.scroll(u, direction="up", amount=101), "amount"),
    # text, keys
    ("text over 50,000", lambda c, u: c.type_text(u, text="a" * 50_001), "text"),
    ("key empty", lambda c, u: c.press_key(u, key=""), "key"),
    ("hotkey no keys", lambda c, u: c.hotkey(u, keys=[]), "keys"),
    ("hotkey 11 keys", lambda c, u: c.hotkey(u, keys=["a"] * 11), "keys"),
    ("hotkey a string", lambda c, u: c.hotkey(u, keys="ctrl+c"), "keys"),  # type: ignore[arg-type]
    ("hotkey empty key", lambda c, u: c.hotkey(u, keys=["ctrl", ""]), "keys.1"),
    # screenshot: quality 1..100, png/jpg/jpeg, width and height together
    ("quality 0", lambda c, u: c.screenshot(u, quality=0), "quality"),
    ("quality 101", lambda c, u: c.screenshot(u, image_format="jpeg", quality=101), "quality"),
    ("format gif", lambda c, u: c.screenshot(u, image_format="gif"), "format"),
    ("width alone", lambda c, u: c.screenshot(u, width=100), "height"),
    ("height alone", lambda c, u: c.screenshot(u, height=100), "width"),
    ("width with height 0", lambda c, u: c.screenshot(u, width=100, height=0), "height"),
    ("width negative", lambda c, u: c.screenshot(u, width=-1, height=10), "width"),
    (
        "region width 0",
        lambda c, u: c.screenshot_region(u, x=0, y=0, width=0, height=10),
        "width",
    ),
    (
        "region format",
        lambda c, u: c.screenshot_region(u, x=0, y=0, width=1, height=1, image_format="bmp"),
        "format",
    ),
    (
        "region quality",
        lambda c, u: c.screenshot_region(u, x=0, y=0, width=1, height=1, quality=0),
        "quality",
    ),
    # process names
    ("unknown process", lambda c, u: c.get_process(u, "chrome"), "process_name"),
    ("process upper case", lambda c, u: c.restart_process(u, "XVFB"), "process_name"),
    ("process path", lambda c, u: c.process_logs(u, "../status"), "process_name"),
    ("process empty", lambda c, u: c.process_errors(u, ""), "process_name"),
    # recording ids
    ("recording id empty", lambda c, u: c.get_recording(u, ""), "recording_id"),
    ("recording id .", lambda c, u: c.get_recording(u, "."), "recording_id"),
    ("recording id ..", lambda c, u: c.delete_recording(u, ".."), "recording_id"),
    ("recording id ../healthz", lambda c, u: c.get_recording(u, "../healthz"), "recording_id"),
    ("recording id a/b", lambda c, u: c.download_recording(u, "a/b"), "recording_id"),
    ("recording id backslash", lambda c, u: c.delete_recording(u, "a\\b"), "recording_id"),
    ("recording id NUL", lambda c, u: c.get_recording(u, "a\x00b"), "recording_id"),
    ("recording id newline", lambda c, u: c.get_recording(u, "rec\n"), "recording_id"),
    ("recording id DEL", lambda c, u: c.get_recording(u, "rec\x7f"), "recording_id"),
    ("recording id 257 chars", lambda c, u: c.get_recording(u, "r" * 257), "recording_id"),
    # sandbox references
    ("sandbox empty", lambda c, u: c.health(""), "sandbox"),
    ("sandbox with /", lambda c, u: c.health("sbx/../x"), "sandbox"),
    ("sandbox with ..", lambda c, u: c.health("sbx..evil"), "sandbox"),
    ("sandbox with space", lambda c, u: c.health("sbx 1"), "sandbox"),
    ("sandbox with #", lambda c, u: c.health("evil.example#"), "sandbox"),
    ("sandbox with @", lambda c, u: c.health("me@evil.example"), "sandbox"),
    ("sandbox not a URL scheme", lambda c, u: c.health("ftp://host"), "sandbox"),
    ("sandbox URL without host", lambda c, u: c.health("http://"), "sandbox"),
    ("sandbox URL with query", lambda c, u: c.health(u + "/?token=x"), "sandbox"),
    ("sandbox object without id", lambda c, u: c.health(object()), "sandbox"),  # type: ignore[arg-type]
    ("sandbox object with bad id", lambda c, u: c.health(Obj("a/b")), "sandbox"),
    ("sandbox id not a str", lambda c, u: c.health(Obj(42)), "sandbox"),  # type: ignore[arg-type]
]


@dataclass
class Obj:
    id: Any


@pytest.mark.parametrize(
    ("call", "field"), [(c, f) for _, c, f in REFUSED], ids=[i for i, _, _ in REFUSED]
)
async def test_refused_before_sending(
    call: Call, field: str, client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    with pytest.raises(Leap0ValidationError) as caught:
        await call(client, url)

    assert caught.value.field == field
    assert f"{field}:" in str(caught.value)
    assert caught.value.status_code is None
    assert fake.seen == []


@pytest.mark.parametrize("bad", ["", "ftp://host/", "http://", "http://h/?q=1", "no url"])
def test_target_url_is_checked_when_made(bad: str) -> None:
    with pytest.raises(Leap0ValidationError) as caught:
        DesktopTarget(bad)
    assert caught.value.field == "url"


# Parses as every model these calls read.
ANY_ANSWER = {"ok": True, "id": "x", "display": ":0", "width": 1, "height": 1, "x": 0, "y": 0}

ACCEPTED: list[tuple[str, Call, str, str]] = [
    (
        "smallest screen",
        lambda c, u: c.resize_screen(u, width=320, height=320),
        "POST",
        "/api/display/screen",
    ),
    (
        "largest screen",
        lambda c, u: c.resize_screen(u, width=7680, height=4320),
        "POST",
        "/api/display/screen",
    ),
    (
        "50,000 characters",
        lambda c, u: c.type_text(u, text="é" * 50_000),
        "POST",
        "/api/input/type",
    ),
    ("10 keys", lambda c, u: c.hotkey(u, keys=["a"] * 10), "POST", "/api/input/hotkey"),
    ("quality 1", lambda c, u: c.screenshot(u, quality=1), "GET", "/api/screenshot"),
    ("origin", lambda c, u: c.click(u, x=0, y=0, button=1), "POST", "/api/input/click"),
    (
        "256-character id",
        lambda c, u: c.get_recording(u, "r" * 256),
        "GET",
        "/api/recordings/" + "r" * 256,
    ),
    ("dots inside an id", lambda c, u: c.get_recording(u, "a..b"), "GET", "/api/recordings/a..b"),
]


@pytest.mark.parametrize(
    ("call", "method", "path"),
    [(c, m, p) for _, c, m, p in ACCEPTED],
    ids=[i for i, _, _, _ in ACCEPTED],
)
async def test_limits_themselves_are_accepted(
    call: Call, method: str, path: str, client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on(method, path, Reply(json=ANY_ANSWER))

    await call(client, url)

    assert [(s.method, s.path) for s in fake.seen] == [(method, path)]


# ── path parameters stay one segment ──


async def test_recording_ids_never_reach_another_route(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/healthz", Reply(json={"ok": True}))
    fake.on("GET", "/api/recordings", Reply(json={"items": []}))
    fake.on("GET", "/api/recordings/x", Reply(json={"id": "x"}))

    with pytest.raises(Leap0ValidationError):
        await client.get_recording(url, "../healthz")
    for trick in ("x?y=1", "x#y", "%2e%2e", "..%2fhealthz", "x;y", "a b"):
        with pytest.raises(Leap0NotFoundError):
            await client.get_recording(url, trick)
    with pytest.raises(Leap0NotFoundError):
        await client.delete_recording(url, "x?y=1")
    with pytest.raises(Leap0NotFoundError):
        await client.download_recording(url, "x?y=1")

    assert [(s.method, s.raw_path, s.query) for s in fake.seen] == [
        ("GET", "/api/recordings/x%3Fy%3D1", ""),
        ("GET", "/api/recordings/x%23y", ""),
        ("GET", "/api/recordings/%252e%252e", ""),
        ("GET", "/api/recordings/..%252fhealthz", ""),
        ("GET", "/api/recordings/x%3By", ""),
        ("GET", "/api/recordings/a%20b", ""),
        ("DELETE", "/api/recordings/x%3Fy%3D1", ""),
        ("GET", "/api/recordings/x%3Fy%3D1/download", ""),
    ]
    assert not {"/api/healthz", "/api/recordings", "/api/recordings/x"} & set(fake.paths())


async def test_colon_and_plus_are_sent_as_they_are(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    """Both are allowed in a path segment; the official SDK leaves them, and so do we."""
    fake.on("GET", "/api/recordings/rec:2026-11-28T10:00+01", Reply(json={"id": "x"}))
    fake.on("GET", "/api/recordings/rec:2026-11-28T10:00+01/download", Reply(body=b"mp4"))

    await client.get_recording(url, "rec:2026-11-28T10:00+01")
    await client.download_recording(url, "rec:2026-11-28T10:00+01")

    assert [s.raw_path for s in fake.seen] == [
        "/api/recordings/rec:2026-11-28T10:00+01",
        "/api/recordings/rec:2026-11-28T10:00+01/download",
    ]


async def test_an_odd_recording_id_reaches_its_own_route(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/recordings/x?y=1", Reply(json={"id": "x?y=1"}))

    recording = await client.get_recording(url, "x?y=1")

    assert recording.id == "x?y=1"


# ── resolving references (no I/O) ──


def make_client(api_key: str | None = TOKEN, domain: str | None = None) -> AsyncDesktopClient:
    return AsyncDesktopClient(AsyncTransport(api_key=api_key), sandbox_domain=domain)


@pytest.mark.parametrize(
    ("ref", "base_url", "token", "label"),
    [
        ("sbx-abc123", "https://sbx-abc123.sandbox.leap0.dev", TOKEN, "sbx-abc123"),
        (Obj("sbx-9"), "https://sbx-9.sandbox.leap0.dev", TOKEN, "sbx-9"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765", TOKEN, "http://127.0.0.1:8765"),
        ("HTTPS://Desk.Example/", "https://desk.example", TOKEN, "https://desk.example"),
        ("http://h:1/prefix/", "http://h:1/prefix", TOKEN, "http://h:1/prefix"),
        (DesktopTarget("http://h:1/", "own", "lab"), "http://h:1", "own", "lab"),
        (DesktopTarget("http://h:1"), "http://h:1", None, "http://h:1"),
    ],
)
def test_endpoint(ref: Any, base_url: str, token: str | None, label: str) -> None:
    endpoint = make_client().endpoint(ref)
    assert (endpoint.base_url, endpoint.token, endpoint.label) == (base_url, token, label)


def test_sandbox_domain() -> None:
    client = make_client(domain="sandbox.example.test")
    assert client.endpoint("sbx-1").base_url == "https://sbx-1.sandbox.example.test"


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("sbx-1", "https://sbx-1.sandbox.leap0.dev/"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/"),
        (DesktopTarget("http://h:1", token="a b&c/="), "http://h:1/"),
        (DesktopTarget("http://h:1"), "http://h:1/"),
        (DesktopTarget("http://h:1", token=""), "http://h:1/"),
    ],
)
def test_desktop_url(ref: Any, expected: str) -> None:
    assert make_client().desktop_url(ref) == expected


def test_desktop_url_without_any_token() -> None:
    assert make_client(api_key=None).desktop_url("http://h:1") == "http://h:1/"
