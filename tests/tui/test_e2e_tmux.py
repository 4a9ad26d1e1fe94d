"""End to end, in a real terminal: tmux runs ``leap0-tui`` as a user would.

No API key, so the app starts its own local desktop (a real host with Xvfb, xfce4,
x11vnc and noVNC), shows it, answers keys, and stops the host when it quits.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.terminal_env import clean_terminal_env

SCRIPT = Path(sys.executable).parent / "leap0-tui"
# The console script runs tui.__main__:main; a venv that has the project on its path
# without the script (a worktree sharing another checkout's venv) runs the same with -m.
COMMAND = str(SCRIPT) if SCRIPT.exists() else f"{sys.executable} -m tui"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """One tmux session of a given size, running one command."""

    def __init__(self, name: str, socket: Path) -> None:
        self.name = name
        self.socket = socket

    def start(self, command: str, home: Path, size: tuple[int, int], **env: str) -> None:
        """Run ``command`` in a new session of ``size`` cells, with an environment of its
        own under ``home`` (plus ``env``); the pane stays 30 s after it ends."""
        clean = {
            **clean_terminal_env(home),
            # The code under test, even where the venv's leap0-tui is another checkout's
            # editable install (a git worktree sharing the main checkout's venv).
            "PYTHONPATH": str(ROOT),
            **env,
        }
        line = " ".join(f"{key}={value}" for key, value in clean.items())
        subprocess.run(
            ["tmux", "-S", str(self.socket), "-f", "/dev/null", "new-session", "-d",
             "-s", self.name, "-x", str(size[0]), "-y", str(size[1]),
             f"env -i {line} {command}; sleep 30"],
            check=True,
        )  # fmt: skip

    def stop(self) -> None:
        """End the session and whatever runs in it."""
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True)

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def command(self) -> str:
        """What the pane runs now (``sleep`` once leap0-tui has exited)."""
        return self.tmux(
            "display-message", "-p", "-t", self.name, "#{pane_current_command}"
        ).strip()

    def wait_for(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if re.search(pattern, screen, re.S):
                return screen
            time.sleep(0.25)
        raise AssertionError(f"{pattern!r} not on screen after {timeout} s:\n{screen}")

    def wait_gone(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if not re.search(pattern, screen, re.S):
                return screen
            time.sleep(0.25)
        raise AssertionError(f"{pattern!r} still on screen after {timeout} s:\n{screen}")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal("leap0", tmp_path / "tmux.sock")
    term.start(COMMAND, tmp_path, (120, 36))
    try:
        yield term
    finally:
        term.stop()


def _host_pid(state: Path) -> int:
    log = (state / "leap0-tui" / "leap0-tui.log").read_text()
    found = re.findall(r"local host started, pid (\d+)", log)
    assert found, log
    return int(found[-1])


def _gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def test_leap0_tui_in_tmux_shows_the_four_processes_running(
    terminal: Terminal, tmp_path: Path
) -> None:
    """The processes, the help, z (zoom) and back, the help at 140x42, and q."""
    terminal.wait_for(r"Starting the local desktop|Processes", timeout=10)
    # The title and the rows are painted in the same update, but tmux may capture the
    # frame in between: wait for the rows themselves.
    rows = r".*".join(rf"{name}\s+● running\s+\d+" for name in ("xvfb", "xfce4", "x11vnc", "novnc"))
    screen = terminal.wait_for(rf"Processes · running 4/4.*{rows}", timeout=120)
    assert "live" in screen

    terminal.keys("?")
    terminal.wait_for(r"Keys.*Restart", timeout=10)
    terminal.keys("Escape")
    # The dialog leaves the screen under it in view: wait for the dialog itself to go.
    terminal.wait_gone(r"Keys", timeout=10)
    terminal.wait_for(r"Processes · running 4/4", timeout=10)

    # z: the preview over the whole screen, the header and the footer kept; z again: back.
    terminal.keys("z")
    zoomed = terminal.wait_gone(r"Processes · running", timeout=10)
    lines = zoomed.splitlines()
    assert "leap0" in lines[0] and "Quit" in lines[-1]
    assert re.match(r"╭─ Preview ─+╮$", lines[1]), lines[1]
    assert re.search(r"1440x900 · .* ago", zoomed)
    terminal.keys("z")
    terminal.wait_for(r"Processes · running 4/4.*Recordings", timeout=10)

    # At 140x42 the help scrolls down to its last key.
    terminal.tmux("resize-window", "-t", terminal.name, "-x", "140", "-y", "42")
    terminal.wait_for(r"Processes · running 4/4", timeout=10)
    terminal.keys("?")
    terminal.wait_for(r"Keys.*Restart", timeout=10)
    terminal.keys("End")
    terminal.wait_for(r"del\s+Delete\s+Delete the selected recording", timeout=10)
    terminal.keys("Escape")
    terminal.wait_gone(r"Keys", timeout=10)

    host = _host_pid(tmp_path / "state")
    terminal.keys("q")
    deadline = time.monotonic() + 30
    while terminal.command() != "sleep" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert terminal.command() == "sleep", "leap0-tui did not exit"
    assert _gone(host), "the local desktop host outlived the app"


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP"])
def test_the_local_desktop_stops_when_the_app_is_terminated_or_its_terminal_closes(
    terminal: Terminal, tmp_path: Path, how: str
) -> None:
    terminal.wait_for(r"Processes · running 4/4", timeout=120)
    host = _host_pid(tmp_path / "state")
    app = int(terminal.tmux("display-message", "-p", "-t", terminal.name, "#{pane_pid}"))
    if how == "SIGTERM":
        # The pane runs "env ... leap0-tui; sleep 30" in a shell: signal leap0-tui itself.
        children = Path(f"/proc/{app}/task/{app}/children").read_text().split()
        assert children, "no leap0-tui under the pane's shell"
        os.kill(int(children[0]), signal.SIGTERM)
    else:
        terminal.tmux("kill-session", "-t", terminal.name)  # the terminal goes away: SIGHUP
    assert _gone(host), f"the local desktop host outlived the app ({how})"


def _x_env_of(host_pid: int) -> dict[str, str]:
    """DISPLAY and XAUTHORITY of the display a host started: its Xvfb has the cookie file
    (``-auth``), its x11vnc the display (``-display``; Xvfb runs with ``-displayfd``)."""
    found: dict[str, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            args = [a.decode() for a in (proc / "cmdline").read_bytes().split(b"\0")]
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != host_pid:
            continue
        for flag, name in (("-auth", "XAUTHORITY"), ("-display", "DISPLAY")):
            if flag in args:
                found[name] = args[args.index(flag) + 1]
    assert set(found) == {"XAUTHORITY", "DISPLAY"}, found
    return {**os.environ, **found}


def _pointer(env: dict[str, str]) -> tuple[int, int]:
    out = subprocess.run(
        ["xdotool", "getmouselocation", "--shell"], env=env, capture_output=True, text=True
    ).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return int(values["X"]), int(values["Y"])


def test_i_controls_the_desktop_from_the_preview_in_tmux(
    terminal: Terminal, tmp_path: Path
) -> None:
    """``i``, a click (the terminal's own SGR mouse bytes) on the preview moves the
    desktop's pointer, ``q`` goes to the desktop instead of quitting, ``ctrl+]`` leaves."""
    terminal.wait_for(r"Processes · running 4/4", timeout=120)
    env = _x_env_of(_host_pid(tmp_path / "state"))
    subprocess.run(["xdotool", "mousemove", "1", "1"], env=env, check=True)
    terminal.keys("i")
    terminal.wait_for(r"CONTROL: ctrl\+\] leaves", timeout=10)
    terminal.wait_for(r"CONTROL: ctrl\+\] leaves · \d+x\d+", timeout=10)  # a frame
    # Button 1 pressed and released at column 90, row 12 (1-based) of the terminal: inside
    # the preview's picture at 120x36 (right half, below the header).
    terminal.tmux("send-keys", "-t", terminal.name, "-l", "\x1b[<0;90;12M\x1b[<0;90;12m")
    deadline = time.monotonic() + 10
    while _pointer(env) == (1, 1) and time.monotonic() < deadline:
        time.sleep(0.1)
    x, y = _pointer(env)
    assert (x, y) != (1, 1) and 0 < x < 1440 and 0 < y < 900
    terminal.keys("q")
    time.sleep(0.5)
    assert "CONTROL" in terminal.screen() and terminal.command() != "sleep"
    terminal.keys("C-]")
    deadline = time.monotonic() + 10
    while "CONTROL" in terminal.screen() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "CONTROL" not in terminal.screen()
