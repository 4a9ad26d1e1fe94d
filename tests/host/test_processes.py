"""The supervised processes: status, logs, the SSE stream, restarts, outside kills, resizing.

These tests disturb the session's desktop; each one leaves it running again.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from PIL import Image

from core.desktop import AsyncDesktopClient
from core.host.processes import shm_segments
from core.models import PROCESS_NAMES, DesktopProcessStatusList
from tests.host.harness import HostProcess
from tests.host.xclients import poll, run


@pytest_asyncio.fixture
async def running(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> AsyncIterator[DesktopProcessStatusList]:
    """The desktop's status, all four running; and running again after the test."""
    await desktop_client.wait_until_ready(local_host.url, timeout=60)
    yield await desktop_client.process_status(local_host.url)
    status = await desktop_client.process_status(local_host.url)
    for item in status.items:
        if not item.running:
            await desktop_client.restart_process(local_host.url, item.name, http_timeout=90)
    await desktop_client.wait_until_ready(local_host.url, timeout=60)


def _is_file(path: str) -> bool:
    return Path(path).is_file()


def _read(path: str) -> str:
    return Path(path).read_text()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_status_lists_the_four_processes_with_their_logs(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, running: DesktopProcessStatusList
) -> None:
    assert running.status == "running"
    assert (running.running, running.total) == (4, 4)
    assert [item.name for item in running.items] == list(PROCESS_NAMES)
    for item in running.items:
        assert item.running and item.pid and _alive(item.pid)
        assert Path(item.stdout_log).parent == local_host.run_dir / "logs"
        assert _is_file(item.stderr_log)
        one = await desktop_client.get_process(local_host.url, item.name)
        assert one == item
    # Each log route reads that process's own file.
    errors = await desktop_client.process_errors(local_host.url, "xvfb")
    assert errors.process == "xvfb"
    assert "starting xvfb: Xvfb" in errors.errors
    logs = await desktop_client.process_logs(local_host.url, "x11vnc")
    assert logs.process == "x11vnc"
    assert logs.logs == _read(running.items[2].stdout_log)
    vnc_errors = await desktop_client.process_errors(local_host.url, "x11vnc")
    assert "x11vnc ready" in vnc_errors.errors


async def test_the_stream_sends_on_connect_and_every_two_seconds(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, running: DesktopProcessStatusList
) -> None:
    arrivals: list[float] = []
    start = time.monotonic()
    async with aclosing(desktop_client.status_stream(local_host.url)) as stream:
        async for status in stream:
            arrivals.append(time.monotonic() - start)
            assert status.status == "running"
            if len(arrivals) == 3:
                break
    assert arrivals[0] < 1.0
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert all(1.5 < gap < 3.0 for gap in gaps), arrivals


async def test_the_raw_stream_is_framed_data_lines_of_json(
    local_host: HostProcess, running: DesktopProcessStatusList
) -> None:
    headers = {"Authorization": f"Bearer {local_host.token}"}
    async with (
        httpx.AsyncClient(base_url=local_host.url, headers=headers, timeout=10) as http,
        http.stream("GET", "/api/status/stream") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                status = DesktopProcessStatusList.model_validate_json(line[5:].strip())
                assert status.total == 4
                break


async def test_a_process_killed_from_outside_shows_in_the_next_event(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, running: DesktopProcessStatusList
) -> None:
    victim = next(item for item in running.items if item.name == "x11vnc")
    assert victim.pid is not None
    assert shm_segments({victim.pid}, 0), "x11vnc is expected to hold shared memory"
    seen: list[DesktopProcessStatusList] = []
    async with aclosing(desktop_client.status_stream(local_host.url)) as stream:
        async for status in stream:
            seen.append(status)
            if len(seen) == 1:
                # Right after an event, so the next one cannot be a heartbeat sent before.
                os.kill(victim.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                continue
            arrived = time.monotonic() - killed_at
            break
    after = seen[1]
    vnc = next(item for item in after.items if item.name == "x11vnc")
    assert not vnc.running and vnc.pid is None
    assert after.status == "degraded"
    assert (after.running, after.total) == (3, 4)
    assert arrived < 1.5, f"the change took {arrived:.3f} s to arrive"
    assert (await desktop_client.get_process(local_host.url, "x11vnc")).running is False
    errors = await desktop_client.process_errors(local_host.url, "x11vnc")
    assert "exited with status -9" in errors.errors
    # What x11vnc could not clean up itself (SysV shared memory) the host released.

    async def released() -> bool | None:
        return True if not shm_segments({victim.pid}, 0) else None

    assert await poll(released, within=5), "x11vnc's shared memory was left behind"


async def test_restart_gives_a_new_pid_and_a_working_process(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, running: DesktopProcessStatusList
) -> None:
    old = next(item for item in running.items if item.name == "x11vnc")
    restarted = await desktop_client.restart_process(local_host.url, "x11vnc", http_timeout=60)
    assert restarted.message == "x11vnc restarted"
    assert restarted.status is not None and restarted.status.running
    assert restarted.status.pid != old.pid
    assert old.pid is not None and not _alive(old.pid)
    assert restarted.status.pid is not None and _alive(restarted.status.pid)
    # The new x11vnc answers VNC on the port noVNC points at.
    status = await desktop_client.process_status(local_host.url)
    assert status.status == "running"


async def test_an_xfce4_restart_answers_once_the_window_manager_and_panel_are_up(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, running: DesktopProcessStatusList
) -> None:
    started = time.monotonic()
    restarted = await desktop_client.restart_process(local_host.url, "xfce4", http_timeout=60)
    took = time.monotonic() - started
    assert restarted.status is not None and restarted.status.running
    env = local_host.x_env()
    # Right after the 200: the window the root names is a live window manager's (the
    # root's property outlives the old one, naming a window that no longer exists).
    root = await run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env)
    window = root.rsplit("#", 1)[1].strip()
    own = await run(["xprop", "-id", window, "_NET_SUPPORTING_WM_CHECK", "_NET_WM_NAME"], env)
    assert int(own.split("#", 1)[1].split()[0], 16) == int(window, 16), own
    assert "Xfwm4" in own
    assert "xfce4-panel" in (await run(["wmctrl", "-lx"], env)).lower()
    assert took > 0.3, f"answered in {took:.2f} s: too soon for a new session"


async def test_restarting_xvfb_brings_back_what_draws_on_it(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, running: DesktopProcessStatusList
) -> None:
    before = {item.name: item.pid for item in running.items}
    display = (await desktop_client.display_info(local_host.url)).display
    restarted = await desktop_client.restart_process(local_host.url, "xvfb", http_timeout=90)
    assert restarted.status is not None and restarted.status.running
    status = await desktop_client.process_status(local_host.url)
    assert status.status == "running"
    after = {item.name: item.pid for item in status.items}
    for name in PROCESS_NAMES:
        assert after[name] != before[name], name
        old = before[name]
        assert old is not None and not _alive(old), name
    assert (await desktop_client.display_info(local_host.url)).display == display
    shot = await desktop_client.screenshot(local_host.url, image_format="jpeg")
    assert Image.open(io.BytesIO(shot)).size == (1440, 900)
    position = await desktop_client.move_pointer(local_host.url, x=50, y=60)
    assert (position.x, position.y) == (50, 60)


async def test_resize_restarts_the_display_at_the_new_size(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, running: DesktopProcessStatusList
) -> None:
    url = local_host.url
    # The size it has already: nothing restarts.
    same = await desktop_client.resize_screen(url, width=1440, height=900)
    assert (same.width, same.height) == (1440, 900)
    assert await desktop_client.process_status(url) == running
    try:
        resized = await desktop_client.resize_screen(url, width=1024, height=768, http_timeout=90)
        assert (resized.width, resized.height) == (1024, 768)
        assert (await desktop_client.screen(url)).width == 1024
        shot = await desktop_client.screenshot(url, image_format="png")
        assert Image.open(io.BytesIO(shot)).size == (1024, 768)
        out = await run(["xdpyinfo"], local_host.x_env(resized.display))
        assert "dimensions:    1024x768 pixels" in out
        await desktop_client.wait_until_ready(url, timeout=60)
        # Odd sizes work too (the recorder crops them to even sides).
        odd = await desktop_client.resize_screen(url, width=801, height=601, http_timeout=90)
        assert (odd.width, odd.height) == (801, 601)
        started = await desktop_client.start_recording(url)
        await asyncio.sleep(1.0)
        stopped = await desktop_client.stop_recording(url)
        assert stopped.id == started.id
        assert (local_host.recordings_dir / f"{started.id}.mp4").stat().st_size > 0
        await desktop_client.delete_recording(url, started.id)
    finally:
        back = await desktop_client.resize_screen(url, width=1440, height=900, http_timeout=90)
        assert (back.width, back.height) == (1440, 900)


@pytest.mark.parametrize("name", ["xfce4", "novnc"])
async def test_every_process_can_be_restarted(
    desktop_client: AsyncDesktopClient,
    local_host: HostProcess,
    running: DesktopProcessStatusList,
    name: str,
) -> None:
    old = next(item for item in running.items if item.name == name)
    restarted = await desktop_client.restart_process(local_host.url, name, http_timeout=90)
    assert restarted.status is not None and restarted.status.pid != old.pid
    await desktop_client.wait_until_ready(local_host.url, timeout=30)
