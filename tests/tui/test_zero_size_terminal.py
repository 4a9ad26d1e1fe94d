"""A pseudo-terminal that reports 0x0 (some CI runners, `script` without a size) must not
break textual-image's probe: the app runs, and no ZeroDivisionError reaches the screen."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

LEAP0_TUI = Path(sys.executable).with_name("leap0-tui")


def test_zero_size_terminal_runs_without_the_probe_crashing(tmp_path: Path) -> None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "TERM": "xterm-256color"}
    # A desktop that does not answer: the app must keep running and say so.
    proc = subprocess.Popen(
        [str(LEAP0_TUI), "--url", "http://127.0.0.1:9", "--token", "t"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
        exited = proc.poll()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        os.close(master)
    assert exited is None, f"leap0-tui exited early ({exited}): {out[-500:]!r}"
    assert b"ZeroDivisionError" not in out
    assert b"Traceback" not in out
