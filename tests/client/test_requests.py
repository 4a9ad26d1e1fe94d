"""Every AsyncDesktopClient method: the request it sends and how it reads the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

import core.downloads
from core import (
    AsyncDesktopClient,
    AsyncTransport,
    DesktopDisplayInfo,
    DesktopHealth,
    DesktopPointerPosition,
    DesktopProcessErrors,
    DesktopProcessLogs,
    DesktopProcessRestart,
    DesktopProcessStatus,
    DesktopProcessStatusList,
    DesktopRecordingStatus,
    DesktopRecordingSummary,
    DesktopTarget,
    DesktopWindow,
    Leap0NotFoundError,
    Leap0ResponseError,
)
from tests.support.fake_desktop import TOKEN, Reply, ScriptedDesktop, process_status

DISPLAY = {"display": ":0", "width": 1440, "height": 900, "unknown": "ignored"}
POSITION = {"x": 12, "y": 34}
RECORDING = {
    "id": "rec_1",
    "active": True,
    "started_at": "2026-11-28T10:00:00Z",
    "download": "/api/recordings/rec_1/download",
    "mime_type": "video/mp4",
    "file_name": "rec_1.mp4",
    "display": ":0",
    "resolution": "1440x900",
}
SUMMARY = {"id": "rec_1", "file_name": "rec_1.mp4", "size_bytes": 2048, "active": False}
PROCESS = process_status()["items"][2]
PNG = b"\x89PNG\r\n\x1a\nnot really"

Call = Callable[[AsyncDesktopClient, str], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    id: str
    call: Call
    method: str
    path: str
    reply: Reply
    expected: Any
    body: Any = None  # JSON body expected; None means no body at all
    query: dict[str, list[str]] | None = None


CASES = [
    Case(
        "display_info",
        lambda c, u: c.display_info(u),
        "GET",
        "/api/display",
        Reply(json=DISPLAY),
        DesktopDisplayInfo(display=":0", width=1440, height=900),
    ),
    Case(
        "screen",
        lambda c, u: c.screen(u),
        "GET",
        "/api/display/screen",
        Reply(json=DISPLAY),
        DesktopDisplayInfo(display=":0", width=1440, height=900),
    ),
    Case(
        "resize_screen",
        lambda c, u: c.resize_screen(u, width=1280, height=800),
        "POST",
        "/api/display/screen",
        Reply(json={"display": ":0", "width": 1280, "height": 800}),
        DesktopDisplayInfo(display=":0", width=1280, height=800),
        body={"width": 1280, "height": 800},
    ),
    Case(
        "windows",
        lambda c, u: c.windows(u),
        "GET",
        "/api/display/windows",
        Reply(json={"items": [{"id": "0x04000007", "class": "Xfce4-terminal", "focused": True}]}),
        [DesktopWindow(id="0x04000007", window_class="Xfce4-terminal", focused=True)],
    ),
    Case(
        "screenshot: only what was given",
        lambda c, u: c.screenshot(u),
        "GET",
        "/api/screenshot",
        Reply(body=PNG, headers={"content-type": "image/png"}),
        PNG,
        query={},
    ),
    Case(
        "screenshot: every parameter",
        lambda c, u: c.screenshot(
            u, image_format="jpeg", quality=70, x=10, y=20, width=300, height=200
        ),
        "GET",
        "/api/screenshot",
        Reply(body=b"jpeg bytes", headers={"content-type": "image/jpeg"}),
        b"jpeg bytes",
        query={
            "format": ["jpeg"],
            "quality": ["70"],
            "x": ["10"],
            "y": ["20"],
            "width": ["300"],
            "height": ["200"],
        },
    ),
    Case(
        "screenshot: full screen as width=height=0",
        lambda c, u: c.screenshot(u, width=0, height=0),
        "GET",
        "/api/screenshot",
        Reply(body=PNG),
        PNG,
        query={"width": ["0"], "height": ["0"]},
    ),
    Case(
        "screenshot_region",
        lambda c, u: c.screenshot_region(u, x=1, y=2, width=30, height=40, image_format="jpg"),
        "POST",
        "/api/screenshot/region",
        Reply(body=b"region"),
        b"region",
        body={"x": 1, "y": 2, "width": 30, "height": 40, "format": "jpg"},
    ),
    Case(
        "pointer_position",
        lambda c, u: c.pointer_position(u),
        "GET",
        "/api/input/position",
        Reply(json=POSITION),
        DesktopPointerPosition(x=12, y=34),
    ),
    Case(
        "move_pointer",
        lambda c, u: c.move_pointer(u, x=0, y=7),
        "POST",
        "/api/input/move",
        Reply(json=POSITION),
        DesktopPointerPosition(x=12, y=34),
        body={"x": 0, "y": 7},
    ),
    Case(
        "click: at the current position, server's default button",
        lambda c, u: c.click(u),
        "POST",
        "/api/input/click",
        Reply(json=POSITION),
        DesktopPointerPosition(x=12, y=34),
        body={},
    ),
    Case(
        "click: at a point with a button",
        lambda c, u: c.click(u, x=5, y=6, button=3),
        "POST",
        "/api/input/click",
        Reply(json=POSITION),
        DesktopPointerPosition(x=12, y=34),
        body={"x": 5, "y": 6, "button": 3},
    ),
    Case(
        "drag",
        lambda c, u: c.drag(u, from_x=1, from_y=2, to_x=3, to_y=4, button=2),
        "POST",
        "/api/input/drag",
        Reply(json={"x": 3, "y": 4}),
        DesktopPointerPosition(x=3, y=4),
        body={"from_x": 1, "from_y": 2, "to_x": 3, "to_y": 4, "button": 2},
    ),
    Case(
        "scroll: server's default amount",
        lambda c, u: c.scroll(u, direction="down"),
        "POST",
        "/api/input/scroll",
        Reply(json=POSITION),
        DesktopPointerPosition(x=12, y=34),
        body={"direction": "down"},
    ),
    Case(
        "scroll: amount",
        lambda c, u: c.scroll(u, direction="left", amount=100),
        "POST",
        "/api/input/scroll",
        Reply(json=POSITION),
        DesktopPointerPosition(x=12, y=34),
        body={"direction": "left", "amount": 100},
    ),
    Case(
        "type_text",
        lambda c, u: c.type_text(u, text="héllo\nwörld"),
        "POST",
        "/api/input/type",
        Reply(json={"ok": True}),
        True,
        body={"text": "héllo\nwörld"},
    ),
    Case(
        "press_key: the server's ok, even when false",
        lambda c, u: c.press_key(u, key="Return"),
        "POST",
        "/api/input/press",
        Reply(json={"ok": False}),
        False,
        body={"key": "Return"},
    ),
    Case(
        "hotkey: keys as a JSON list",
        lambda c, u: c.hotkey(u, keys=["ctrl", "alt", "t"]),
        "POST",
        "/api/input/hotkey",
        Reply(json={"ok": True}),
        True,
        body={"keys": ["ctrl", "alt", "t"]},
    ),
    Case(
        "recording_status",
        lambda c, u: c.recording_status(u),
        "GET",
        "/api/recording",
        Reply(json=RECORDING),
        DesktopRecordingStatus.model_validate(RECORDING),
    ),
    Case(
        "start_recording: 201",
        lambda c, u: c.start_recording(u),
        "POST",
        "/api/recording/start",
        Reply(201, json=RECORDING),
        DesktopRecordingStatus.model_validate(RECORDING),
    ),
    Case(
        "stop_recording",
        lambda c, u: c.stop_recording(u),
        "POST",
        "/api/recording/stop",
        Reply(json={**RECORDING, "active": False}),
        DesktopRecordingStatus.model_validate({**RECORDING, "active": False}),
    ),
    Case(
        "recordings",
        lambda c, u: c.recordings(u),
        "GET",
        "/api/recordings",
        Reply(json={"items": [SUMMARY, {"id": "rec_2"}]}),
        [DesktopRecordingSummary.model_validate(SUMMARY), DesktopRecordingSummary(id="rec_2")],
    ),
    Case(
        "get_recording",
        lambda c, u: c.get_recording(u, "rec_1"),
        "GET",
        "/api/recordings/rec_1",
        Reply(json=SUMMARY),
        DesktopRecordingSummary.model_validate(SUMMARY),
    ),
    Case(
        "download_recording",
        lambda c, u: c.download_recording(u, "rec_1"),
        "GET",
        "/api/recordings/rec_1/download",
        Reply(body=b"\x00\x00\x00\x18ftypmp42" * 1000, headers={"content-type": "video/mp4"}),
        b"\x00\x00\x00\x18ftypmp42" * 1000,
    ),
    Case(
        "delete_recording: 204",
        lambda c, u: c.delete_recording(u, "rec_1"),
        "DELETE",
        "/api/recordings/rec_1",
        Reply(204),
        None,
    ),
    Case(
        "health",
        lambda c, u: c.health(u),
        "GET",
        "/api/healthz",
        Reply(json={"ok": True}),
        DesktopHealth(ok=True),
    ),
    Case(
        "process_status",
        lambda c, u: c.process_status(u),
        "GET",
        "/api/status",
        Reply(json=process_status("degraded")),
        DesktopProcessStatusList.model_validate(process_status("degraded")),
    ),
    Case(
        "get_process",
        lambda c, u: c.get_process(u, "x11vnc"),
        "GET",
        "/api/process/x11vnc/status",
        Reply(json=PROCESS),
        DesktopProcessStatus.model_validate(PROCESS),
    ),
    Case(
        "restart_process",
        lambda c, u: c.restart_process(u, "xfce4"),
        "POST",
        "/api/process/xfce4/restart",
        Reply(json={"message": "xfce4 restarted", "status": PROCESS}),
        DesktopProcessRestart(
            message="xfce4 restarted", status=DesktopProcessStatus.model_validate(PROCESS)
        ),
    ),
    Case(
        "process_logs",
        lambda c, u: c.process_logs(u, "novnc"),
        "GET",
        "/api/process/novnc/logs",
        Reply(json={"process": "novnc", "logs": "listening on 6080\n"}),
        DesktopProcessLogs(process="novnc", logs="listening on 6080\n"),
    ),
    Case(
        "process_errors",
        lambda c, u: c.process_errors(u, "xvfb"),
        "GET",
        "/api/process/xvfb/errors",
        Reply(json={"process": "xvfb", "errors": "", "extra": 1}),
        DesktopProcessErrors(process="xvfb", errors=""),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_request_and_answer(
    case: Case, client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on(case.method, case.path, case.reply)

    result = await case.call(client, url)

    assert result == case.expected
    [seen] = fake.seen
    assert (seen.method, seen.path) == (case.method, case.path)
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    if case.body is None:
        assert seen.body == b""
    else:
        assert seen.headers["content-type"] == "application/json"
        assert seen.json() == case.body
    if case.query is not None:
        assert parse_qs(seen.query) == case.query


async def test_seed_script_form_talks_to_the_url_with_the_api_key(
    fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/healthz", Reply(json={"ok": True}))

    async with AsyncDesktopClient(AsyncTransport(api_key="script-key")) as client:
        health = await client.health(url)

    assert health.ok is True
    assert fake.seen[0].headers["authorization"] == "Bearer script-key"


@pytest.mark.parametrize("stored", ["Bearer script-key", "bearer script-key"])
async def test_a_key_stored_with_its_bearer_prefix_is_not_prefixed_twice(
    stored: str, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/healthz", Reply(json={"ok": True}))

    async with AsyncDesktopClient(AsyncTransport(api_key=stored)) as client:
        await client.health(url)
        await client.health(DesktopTarget(url, token=stored))
        viewer = client.desktop_url(DesktopTarget(url, token=stored))

    assert [seen.headers["authorization"] for seen in fake.seen] == [stored, stored]
    assert viewer == url + "/"  # a browser's URL never carries the token


async def test_one_client_serves_targets_with_their_own_tokens(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/display", Reply(json=DISPLAY))

    await client.display_info(DesktopTarget(url, token="host-a", name="lab A"))
    await client.display_info(DesktopTarget(url + "/", token="host-b"))
    await client.display_info(DesktopTarget(url))  # no token of its own: the API key
    await client.display_info(DesktopTarget(url, token=""))  # explicitly none

    auth = [seen.headers.get("authorization") for seen in fake.seen]
    assert auth == ["Bearer host-a", "Bearer host-b", f"Bearer {TOKEN}", None]
    assert fake.paths() == ["/api/display"] * 4


async def test_target_name_labels_errors(client: AsyncDesktopClient, url: str) -> None:
    with pytest.raises(Leap0NotFoundError) as caught:
        await client.get_recording(DesktopTarget(url, name="lab A"), "missing")

    assert caught.value.desktop == "lab A"
    assert "lab A" in str(caught.value)


async def test_windows_class_is_read_as_window_class(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    window = {
        "id": "0x1",
        "desktop": 0,
        "pid": 42,
        "x": 1,
        "y": 2,
        "width": 3,
        "height": 4,
        "class": "Xfce4-terminal.Xfce4-terminal",
        "host": "sandbox",
        "title": "Terminal",
        "focused": False,
    }
    fake.on("GET", "/api/display/windows", Reply(json={"items": [window]}))

    [got] = await client.windows(url)

    assert got.window_class == "Xfce4-terminal.Xfce4-terminal"
    assert got.model_dump(by_alias=True) == window


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        (b'{"ok": false, "detail": "x11vnc down"}', False),
        (b"<html>Service Unavailable</html>", False),
        (b"", False),
    ],
)
async def test_health_503_is_an_answer(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str, body: bytes, ok: bool
) -> None:
    fake.on("GET", "/api/healthz", Reply(503, body=body))

    assert await client.health(url) == DesktopHealth(ok=ok)
    assert len(fake.seen) == 1  # a 503 health answer is not retried


async def test_a_200_that_is_not_the_model_fails_loudly(
    client: AsyncDesktopClient, fake: ScriptedDesktop, url: str
) -> None:
    fake.on("GET", "/api/display", Reply(json={"display": ":0", "width": "wide"}))

    with pytest.raises(Leap0ResponseError) as caught:
        await client.display_info(url)

    assert "DesktopDisplayInfo" in str(caught.value)
    assert url in str(caught.value)
    assert caught.value.__cause__ is not None


async def test_context_manager_closes_the_transport() -> None:
    transport = AsyncTransport(api_key=TOKEN)
    async with AsyncDesktopClient(transport) as client:
        assert client.transport is transport
    assert transport.http.is_closed


async def test_download_recording_to_delegates_to_core_downloads(
    client: AsyncDesktopClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[Any, ...]] = []

    async def download_recording_to(*args: Any, **kwargs: Any) -> Path:
        calls.append((*args, kwargs))
        return tmp_path / "out.mp4"

    def progress(update: object) -> None:
        pass

    monkeypatch.setattr(core.downloads, "download_recording_to", download_recording_to)

    saved = await client.download_recording_to(
        "sbx-1",
        "rec_1",
        tmp_path / "out.mp4",
        progress=progress,
        overwrite=True,
        http_timeout=3,
        retry_seconds=42,
    )

    assert saved == tmp_path / "out.mp4"
    assert calls == [
        (
            client,
            "sbx-1",
            "rec_1",
            tmp_path / "out.mp4",
            {"progress": progress, "overwrite": True, "http_timeout": 3, "retry_seconds": 42},
        )
    ]
