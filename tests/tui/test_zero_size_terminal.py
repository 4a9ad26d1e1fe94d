"""A pseudo-terminal that reports 0x0 (some CI runners, `script` without a size) must not
break textual-image's probe: the app runs, and no ZeroDivisionError reaches the screen."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

LEAP0_TUI = Path(sys.executable).with_name("leap0-tui")


def test_zero_size_terminal_runs_without_the_probe_crashing(tmp_path: Path) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: a 0x0 terminal, a desktop that does not answer
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
        os.environ["XDG_STATE_HOME"] = str(tmp_path)
        os.execv(str(LEAP0_TUI), ["leap0-tui", "--url", "http://127.0.0.1:9", "--token", "t"])
    out = b""
    exited = None
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline and exited is None:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                exited = status
    finally:
        if exited is None:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        os.close(fd)
    assert exited is None, f"leap0-tui exited early ({exited}): {out[-500:]!r}"
    assert b"ZeroDivisionError" not in out
    assert b"Traceback" not in out
