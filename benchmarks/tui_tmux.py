"""Helpers for the dashboard benchmarks that run ``leap0-tui`` in a real terminal (tmux).

Not a benchmark itself: ``tui_idle`` and ``tui_startup`` import it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.terminal_env import clean_terminal_env

COMMAND = Path(sys.executable).parent / "leap0-tui"


class Terminal:
    """A detached tmux server of its own (own socket), one session running one command."""

    def __init__(self, base: Path, name: str = "bench") -> None:
        self.socket = base / f"{name}.sock"
        self.name = name
        self.env = clean_terminal_env(base)

    def tmux(self, *args: str, check: bool = True) -> str:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), *args], check=check, capture_output=True, text=True
        ).stdout

    def start(
        self, args: list[str], size: tuple[int, int] = (120, 36), command: str | None = None
    ) -> float:
        """Run ``leap0-tui ARGS`` (or ``command``); the ``perf_counter`` just before tmux was
        asked to."""
        env = " ".join(f"{k}={v}" for k, v in self.env.items())
        line = f"exec env -i {env} {command or COMMAND} {' '.join(args)}"
        started = time.perf_counter()
        self.tmux(
            "-f", "/dev/null", "new-session", "-d", "-s", self.name,
            "-x", str(size[0]), "-y", str(size[1]), line,
        )  # fmt: skip
        return started

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name, check=False)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def wait_for(self, pattern: str, limit: float = 120, every: float = 0.005) -> float:
        """``perf_counter`` when ``pattern`` was first seen on screen."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if re.search(pattern, self.screen(), re.S):
                return time.perf_counter()
            time.sleep(every)
        raise SystemExit(f"benchmark: {pattern!r} not on screen after {limit} s:\n{self.screen()}")

    def stop(self) -> None:
        self.tmux("kill-server", check=False)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")
