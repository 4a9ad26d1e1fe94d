"""Starting and stopping hosts of their own: the ready line, clean shutdown, missing programs.

Each test here runs a short-lived host (the ``start_extra_host`` fixture) and stops it
with :func:`tests.host.harness.stop_host`, which fails when any process the host started
is left behind (orphan or zombie).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterable
from contextlib import aclosing
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from core.desktop import AsyncDesktopClient
from core.errors import Leap0ConnectionError, Leap0ServerError, Leap0StreamError
from core.models import DesktopProcessStatusList, HostReady
from core.routes import ViewerRoutes
from core.transport import AsyncTransport
from tests.conftest import StartHost
from tests.host.harness import REPO, HostProcess, listening_sockets, started_processes, stop_host
from tests.host.xclients import run

NEEDED_BY_THE_STACK = ("Xvfb", "xfce4-session", "x11vnc", "websockify", "xdotool", "ffmpeg")


def test_bad_arguments_exit_2_with_nothing_on_stdout() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core.host", "--size", "100x100"],
        cwd=REPO,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"width" in result.stderr


def _names(pids: Iterable[int]) -> set[str]:
    names: set[str] = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            names.add(Path(f"/proc/{pid}/comm").read_text().strip())
    return names


async def test_ready_line_loopback_and_a_clean_sigterm_with_a_stream_open(
    start_extra_host: StartHost,
) -> None:
    host = start_extra_host(args=["--token", "given-token-123"])
    assert host.token == "given-token-123"
    # It works, with the dashboard's warning: any local user can read a command line.
    assert "--token is visible to every user of this machine (ps)" in host.log_tail()
    assert host.url.startswith("http://127.0.0.1:")
    assert host.ready.pid == host.pid
    assert host.ready.status == "running"
    assert host.display.startswith(":")
    assert (host.ready.width, host.ready.height) == (1440, 900)
    assert host.ready.model_fields_set == set(HostReady.model_fields), "every field, once"

    processes = started_processes(host)
    names = _names(processes)
    assert {"Xvfb", "xfce4-session", "x11vnc", "websockify"} <= names
    # Nothing the host runs listens beyond loopback.
    sockets = listening_sockets({host.pid, *processes})
    assert len(sockets) >= 3, sockets
    assert all(ipaddress.ip_address(address).is_loopback for address, _ in sockets), sockets

    async with AsyncDesktopClient(AsyncTransport(api_key=host.token)) as client:
        seen: list[DesktopProcessStatusList] = []
        error: Exception | None = None
        stopping: asyncio.Task[subprocess.CompletedProcess[bytes]] | None = None
        try:
            async with aclosing(client.status_stream(host.url)) as stream:
                async for status in stream:
                    seen.append(status)
                    if stopping is None:
                        stopping = asyncio.create_task(asyncio.to_thread(stop_host, host))
        except (Leap0StreamError, Leap0ConnectionError) as exc:
            error = exc
        assert stopping is not None
        result = await stopping
    assert result.returncode == 0
    assert result.stdout == b"", "only the ready line may go to stdout"
    assert seen and seen[0].status == "running"
    # The stream ended with a plain-text error event saying why.
    assert isinstance(error, Leap0StreamError), error
    assert "shutting down" in str(error)


async def test_bound_beyond_loopback_the_viewer_is_served_through_the_api_port_only(
    start_extra_host: StartHost,
) -> None:
    host = start_extra_host(args=["--bind", "0.0.0.0"])
    port = urlsplit(host.url).port
    # Another loopback address stands in for a remote machine: only a wildcard bind answers it.
    remote = f"http://127.0.0.2:{port}"
    async with httpx.AsyncClient(base_url=remote, timeout=10) as dashboard:
        ticket = await dashboard.post(
            ViewerRoutes.TICKET.template, headers={"Authorization": f"Bearer {host.token}"}
        )
    assert ticket.status_code == 200, ticket.text
    async with httpx.AsyncClient(base_url=remote, timeout=10) as browser:
        opened = await browser.get(ticket.json()["path"])
        assert opened.status_code == 303
        page = await browser.get("/viewer/")
        assert page.status_code == 200
        rfb = await browser.get("/viewer/novnc/core/rfb.js")
        assert rfb.status_code == 200
    # Beyond loopback: the API's port alone (the viewer is behind it); x11vnc and
    # websockify listen on loopback.
    sockets = listening_sockets({host.pid, *started_processes(host)})
    beyond = {p for a, p in sockets if not ipaddress.ip_address(a).is_loopback}
    assert beyond == {port}, sockets


def _path_without(programs: tuple[str, ...], tmp_path: Path) -> str:
    """A PATH of one directory linking every program of /usr/bin but ``programs``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in os.listdir("/usr/bin"):
        if name not in programs:
            (bin_dir / name).symlink_to(Path("/usr/bin") / name)
    return f"{bin_dir}:/usr/sbin:/sbin"


async def test_missing_programs_leave_the_host_serving_and_say_what_to_install(
    start_extra_host: StartHost, tmp_path: Path
) -> None:
    env = dict(os.environ)
    env["PATH"] = _path_without(("x11vnc", "xdotool", "ffmpeg"), tmp_path)
    host: HostProcess = start_extra_host(env=env)
    assert host.ready.status == "degraded"
    async with AsyncDesktopClient(AsyncTransport(api_key=host.token)) as client:
        status = await client.process_status(host.url)
        running = {item.name: item.running for item in status.items}
        assert running == {"xvfb": True, "xfce4": True, "x11vnc": False, "novnc": True}
        assert status.status == "degraded"
        errors = await client.process_errors(host.url, "x11vnc")
        assert "apt-get install x11vnc" in errors.errors

        with pytest.raises(Leap0ServerError) as restart:
            await client.restart_process(host.url, "x11vnc")
        assert "x11vnc" in str(restart.value) and "503" in str(restart.value)
        with pytest.raises(Leap0ServerError) as move:
            await client.move_pointer(host.url, x=10, y=10)
        assert "apt-get install xdotool" in str(move.value)
        with pytest.raises(Leap0ServerError) as record:
            await client.start_recording(host.url)
        assert "apt-get install ffmpeg" in str(record.value)
        # What does not need them still works.
        assert (await client.health(host.url)).ok
        assert len(await client.screenshot(host.url, image_format="jpeg")) > 1000
    # The parent going away (stdin closing) stops it as cleanly as a signal.
    result = stop_host(host, how="stdin")
    assert result.returncode == 0


async def test_sigint_stops_a_host_cleanly(start_extra_host: StartHost) -> None:
    host = start_extra_host()
    async with AsyncDesktopClient(AsyncTransport(api_key=host.token)) as client:
        started = await client.start_recording(host.url)
        await asyncio.sleep(1.0)
    result = stop_host(host, how="sigint")
    assert result.returncode == 0
    # The recording active at shutdown was finished, not cut off.
    recording = host.recordings_dir / f"{started.id}.mp4"
    duration = await run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(recording)],
        dict(os.environ),
        within=30,
    )  # fmt: skip
    assert float(duration) > 0.5
