"""Benchmark: CPU the dashboard uses watching one desktop with the preview paused.

    ./dev bench tui_idle [--seconds 30]

Starts a local desktop host, runs ``leap0-tui --url ... --token ...`` in a real terminal
(tmux, 120x36, so every pane is on screen and drawn), waits until the process table is
live, pauses the preview (``2`` then ``p``), lets it settle, then reads the app process's
CPU time (``/proc/PID/stat``, all threads) over ``--seconds``. What keeps running: the
status stream (an event every 2 s), the log viewer's fetch every second, pointer and
window polling, the recordings list, the once-a-second age in the table's border.
Goal: < 2 % of a core. For context it also measures the same with the preview refreshing
at its default interval.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui_tmux import Terminal, cpu_seconds

from tui.local import LocalHost


def measure(pid: int, seconds: float) -> float:
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    cpu1, wall1 = cpu_seconds(pid), time.perf_counter()
    return 100 * (cpu1 - cpu0) / (wall1 - wall0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="leap0-bench-"))
    host = LocalHost(log_path=base / "host.log")
    print("starting a local desktop host…", flush=True)
    desktop = host.start()
    term = Terminal(base)
    try:
        term.start(["--url", desktop.url, "--token", str(desktop.token)])
        term.wait_for(r"Processes · running 4/4", limit=60, every=0.2)
        term.wait_for(r"─ live ─.*last event", limit=30, every=0.2)
        pid = term.pid()
        time.sleep(5)  # first log fetch, window list, recordings, first frames
        preview_default = measure(pid, args.seconds)
        term.keys("2")
        time.sleep(0.5)
        term.keys("p")
        term.wait_for(r"paused", limit=10, every=0.1)
        time.sleep(3)
        paused = measure(pid, args.seconds)
        print()
        print(f"leap0-tui CPU, one local desktop, 120x36 in tmux, {args.seconds:.0f} s each")
        print(f"  preview paused:               {paused:5.2f} % of a core (goal < 2 %)")
        print(f"  preview at default interval:  {preview_default:5.2f} % of a core")
        print(f"goal: {'met' if paused < 2 else 'NOT met'}")
    finally:
        term.stop()
        host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
