"""Benchmark: CPU the dashboard uses watching one desktop with the preview paused.

    ./dev bench tui_idle [--seconds 30]

Starts a local desktop host, runs ``leap0-tui --url ... --token ...`` in a real terminal
(tmux, 120x36, so every pane is on screen and drawn), waits until the process table is
live, pauses the preview (``2`` then ``p``), lets it settle, then reads the app process's
CPU time (``/proc/PID/stat``, all threads) over ``--seconds``. What keeps running: the
status stream (an event every 2 s as a heartbeat), the log viewer's fetches (every 1-3 s),
pointer (2 s) and window (5 s) polling, the recordings list (3 s), and the ages on screen,
which tick together once a second (``clock.every_second``).
Goal: < 2 % of a core. For context it also measures the same with the preview refreshing
at its default interval, and the floor: a bare Textual app (header and footer) in the same
terminal, which is what Textual itself costs at rest.
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


BARE_APP = (
    "from textual.app import App\n"
    "from textual.widgets import Footer, Header\n"
    "class Bare(App):\n"
    "    def compose(self):\n"
    "        yield Header()\n"
    "        yield Footer()\n"
    "Bare().run()\n"
)


def bare_textual(base: Path, seconds: float) -> float:
    """CPU of a Textual app with nothing to do, in the same kind of terminal."""
    script = base / "bare.py"
    script.write_text(BARE_APP)
    term = Terminal(base, "bare")
    try:
        term.start([], command=f"{sys.executable} {script}")
        time.sleep(3)
        return measure(term.pid(), seconds)
    finally:
        term.stop()


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
        term.stop()
        floor = bare_textual(base, args.seconds)
        print()
        print(f"leap0-tui CPU, one local desktop, 120x36 in tmux, {args.seconds:.0f} s each")
        print(f"  preview paused:               {paused:5.2f} % of a core (goal < 2 %)")
        print(f"  preview at default interval:  {preview_default:5.2f} % of a core")
        print(f"  a bare Textual app (floor):   {floor:5.2f} % of a core")
        print(f"goal: {'met' if paused < 2 else 'NOT met'}")
    finally:
        term.stop()
        host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
