"""The terminal probe in real terminals: what each answers, and the mode ``auto`` picks.

tmux (text only, whatever the terminal outside says), and xterm on an X display of its
own, with Sixel (``-ti vt340``) and without. Each runs the probe as the app does before
Textual starts, and writes what it found to a file.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import sys; from tui.graphics import probe_terminal; "
    "from tui.widgets.renderers import resolve_mode; a = probe_terminal(); "
    "mode = resolve_mode('auto'); "
    "w = a.sixel_max[0] if a.sixel_max else 0; "
    "open(sys.argv[1], 'w').write("
    "f'{a.name} {a.sixel} {a.kitty_graphics} {mode} {w} {a.kitty_shared_memory}')"
)


def probe_command(out: Path) -> list[str]:
    return [sys.executable, "-c", PROBE, str(out)]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}


def wait_for_file(path: Path, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            return path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"the probe wrote nothing to {path} in {timeout} s")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_tmux_gets_symbols(tmp_path: Path) -> None:
    out, socket = tmp_path / "answers", tmp_path / "tmux.sock"
    command = shlex.join(probe_command(out))
    subprocess.run(
        ["tmux", "-S", str(socket), "new-session", "-d", "-x", "100", "-y", "30", command],
        check=True,
        env={k: v for k, v in env().items() if k != "TMUX"},
    )
    try:
        name, _, kitty, mode, _, _ = wait_for_file(out).split()
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], check=False)
    assert (name, kitty, mode) == ("tmux", "False", "symbols")


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    """An X display of its own (Xvfb), for terminal emulators."""
    if shutil.which("Xvfb") is None or shutil.which("xterm") is None:
        pytest.skip("Xvfb or xterm is not installed")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            ["-ti", "vt340", "-xrm", "XTerm*decTerminalID: vt340"],
            ("xterm", "True", "sixel", "1000"),  # its default maxGraphicSize: 1000x1000
        ),
        (
            ["-ti", "vt340", "-xrm", "XTerm*maxGraphicSize: 2000x1500"],
            ("xterm", "True", "sixel", "2000"),
        ),
        ([], ("xterm", "False", "symbols", "0")),
    ],
    ids=["sixel", "sixel-2000", "plain"],
)
def test_xterm_with_and_without_sixel(
    display: str, tmp_path: Path, options: list[str], expected: tuple[str, str, str]
) -> None:
    out = tmp_path / "answers"
    terminal = subprocess.Popen(
        ["xterm", *options, "-geometry", "80x24", "-e", *probe_command(out)],
        env={**env(), "DISPLAY": display},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        name, sixel, _, mode, widest, _ = wait_for_file(out).split()
    finally:
        terminal.terminate()
        terminal.wait(timeout=10)
    assert (name, sixel, mode, widest) == expected


# After the probe, a red square sent as the preview sends a frame to a kitty on this
# machine: its pixels in a shared memory object, placed at the top left.
KITTY_FRAME = (
    PROBE + "; import os, time; from tui import shared_memory; "
    "from tui.widgets.kitty_frame import KittyImage, transmit_shared; "
    "red = bytes((255, 0, 0)) * (64 * 64); name = shared_memory.create(red); "
    "os.write(1, ('\\x1b[2J\\x1b[H' + transmit_shared("
    "KittyImage(64, 64, pixels=red), name, 7, (20, 8))).encode()); "
    "open(sys.argv[1] + '.sent', 'w').write(name); time.sleep(60)"
)


@pytest.mark.skipif(shutil.which("kitty") is None, reason="kitty is not installed")
def test_kitty_gets_kitty_graphics_and_frames_through_shared_memory(
    display: str, tmp_path: Path
) -> None:
    out = tmp_path / "answers"
    terminal = subprocess.Popen(
        ["kitty", "--config", "NONE", sys.executable, "-c", KITTY_FRAME, str(out)],
        env={**env(), "DISPLAY": display, "LIBGL_ALWAYS_SOFTWARE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        name, _, kitty, mode, _, shm = wait_for_file(out).split()
        assert (name, kitty, mode, shm) == ("kitty", "True", "kitty", "True")
        sent = wait_for_file(Path(f"{out}.sent"))
        object_path = Path("/dev/shm") / sent.lstrip("/")
        deadline = time.monotonic() + 15
        red = 0
        while time.monotonic() < deadline:
            red = red_pixels(display)
            if red and not object_path.exists():
                break
            time.sleep(0.2)
        assert red > 64 * 64 // 2, "the frame is not on kitty's window"
        assert not object_path.exists(), "kitty did not unlink the object it read"
    finally:
        terminal.terminate()
        terminal.wait(timeout=10)
    # The probe's object is gone too: nothing the child made is left behind. Objects are
    # named after the process that made them (other tests make theirs meanwhile).
    child = sent.lstrip("/").split("-")[1]
    assert not list(Path("/dev/shm").glob(f"leap0-{child}-*"))


def red_pixels(display: str) -> int:
    """How many pure red pixels the top-left 400x300 of ``display`` shows."""
    import mss

    with mss.MSS(display=display) as grabber:
        rgb = grabber.grab({"left": 0, "top": 0, "width": 400, "height": 300}).rgb
    return sum(
        1 for i in range(0, len(rgb), 3) if rgb[i] > 240 and rgb[i + 1] < 20 and rgb[i + 2] < 20
    )
