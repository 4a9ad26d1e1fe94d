"""The embedded local desktop: started as a child, always stopped, failures said in one line.

A small stand-in host script plays the part of ``python -m core.host`` where a test
needs it to misbehave (never get ready, ignore SIGTERM, leave children behind); the
real host runs in the end-to-end test.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.tui.conftest import settings_for, wait_for
from tests.tui.fake_desktop import StatefulDesktop
from tui.app import Leap0App
from tui.local import LocalHost, LocalHostError
from tui.screens.desktop import DesktopScreen
from tui.screens.starting import StartingScreen
from tui.widgets.process_table import ProcessTable


def stand_in(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "host.py"
    script.write_text(textwrap.dedent(body))
    return [sys.executable, str(script)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def gone(pid: int, within: float = 3.0) -> bool:
    """Whether ``pid`` is dead within ``within`` seconds: a SIGKILL is certain but not
    instant, and a loaded machine delays it."""
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


READY = """
    import json, os, signal, subprocess, sys, time
    {setup}
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    open(sys.argv[0] + ".child", "w").write(str(child.pid))
    print("starting up", flush=True)
    print(json.dumps({{"status": "starting"}}), flush=True)  # JSON, but not a ready line
    print(json.dumps({{"url": "{url}", "token": "t0k", "pid": os.getpid()}}), flush=True)
    while True:
        time.sleep(1)
"""


def test_start_reads_the_ready_line_and_stop_ends_the_whole_group(tmp_path: Path) -> None:
    command = stand_in(tmp_path, READY.format(setup="", url="http://127.0.0.1:9"))
    host = LocalHost(log_path=tmp_path / "host.log", command=command)
    desktop = host.start()
    assert (desktop.url, desktop.token) == ("http://127.0.0.1:9", "t0k")
    child = int(Path(command[1] + ".child").read_text())
    assert host.running and alive(child)
    host.stop()
    assert not host.running
    assert gone(child)
    logged = (tmp_path / "host.log").read_text()
    assert "[stdout] starting up" in logged and '[stdout] {"status": "starting"}' in logged
    host.stop()  # idempotent


def test_only_an_exit_nobody_asked_for_is_reported(tmp_path: Path) -> None:
    command = stand_in(tmp_path, READY.format(setup="", url="http://127.0.0.1:9"))
    exits: list[int | None] = []
    killed = LocalHost(log_path=tmp_path / "killed.log", command=command)
    killed.start()
    killed.on_unexpected_exit(exits.append)
    assert killed.pid is not None
    os.kill(killed.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not exits and time.monotonic() < deadline:
        time.sleep(0.05)
    assert exits == [-signal.SIGKILL] and not killed.stopping
    killed.stop()

    stopped = LocalHost(log_path=tmp_path / "stopped.log", command=command)
    stopped.start()
    stopped.on_unexpected_exit(exits.append)
    stopped.stop()
    time.sleep(0.2)
    assert stopped.stopping and exits == [-signal.SIGKILL]


def test_a_host_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    setup = "signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    command = stand_in(tmp_path, READY.format(setup=setup, url="http://127.0.0.1:9"))
    host = LocalHost(log_path=tmp_path / "host.log", command=command, stop_timeout=0.5)
    host.start()
    pid = host.pid
    assert pid is not None
    started = time.monotonic()
    host.stop()
    assert time.monotonic() - started < 5
    assert gone(pid)


def test_a_host_that_fails_says_why_in_one_line(tmp_path: Path) -> None:
    command = stand_in(
        tmp_path,
        """
        import sys
        print("Xvfb: not found (apt-get install xvfb)", file=sys.stderr)
        sys.exit(3)
        """,
    )
    host = LocalHost(log_path=tmp_path / "host.log", command=command)
    with pytest.raises(LocalHostError) as raised:
        host.start()
    message = str(raised.value)
    assert "\n" not in message
    assert "exited with code 3" in message and "apt-get install xvfb" in message


def test_a_host_that_never_gets_ready_times_out(tmp_path: Path) -> None:
    command = stand_in(tmp_path, "import time\ntime.sleep(60)\n")
    host = LocalHost(log_path=tmp_path / "host.log", command=command, ready_timeout=0.5)
    with pytest.raises(LocalHostError, match="no ready line"):
        host.start()
    assert not host.running


async def test_the_app_starts_the_local_desktop_and_stops_it_on_exit(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    fake_desktop.token = "t0k"
    # The stand-in is ready only once the test has seen the starting screen: a fixed
    # sleep raced the app's start on a busy machine.
    gate = tmp_path / "go"
    wait_for_gate = f"while not os.path.exists({str(gate)!r}): time.sleep(0.02)"
    command = stand_in(tmp_path, READY.format(setup=wait_for_gate, url=fake_desktop.url))
    host = LocalHost(log_path=tmp_path / "host.log", command=command)
    settings = settings_for("http://unused", None, tmp_path).model_copy(
        update={"desktop_url": None, "desktop_token": None}
    )
    assert settings.mode == "local"
    app = Leap0App(settings, local_host=host)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartingScreen)
        assert "Starting the local desktop" in str(
            app.screen.query_one("#starting-message").render()
        )
        gate.touch()
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, DesktopScreen) and app.screen.query(ProcessTable),
            what="the desktop",
        )
        table = app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.row_count == 4, what="four rows")
        pid = host.pid
        assert pid is not None and alive(pid)
    assert not host.running and gone(pid)


async def test_the_app_keeps_running_when_the_local_desktop_fails(tmp_path: Path) -> None:
    command = stand_in(tmp_path, "import sys\nprint('no display', file=sys.stderr)\nsys.exit(1)\n")
    host = LocalHost(log_path=tmp_path / "host.log", command=command)
    settings = settings_for("http://unused", None, tmp_path).model_copy(
        update={"desktop_url": None, "desktop_token": None}
    )
    app = Leap0App(settings, local_host=host)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, StartingScreen)
        await wait_for(pilot, lambda: screen.has_class("-failed"), what="the failure")
        message = str(screen.query_one("#starting-message").render())
        assert "exited with code 1" in message and "no display" in message
        assert "\n" not in message.strip()
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
