"""Benchmark: from the ``leap0-tui`` command to its first painted frame, in a real terminal.

    ./dev bench tui_startup [--runs 5]

Runs the venv's ``leap0-tui`` console script in tmux (120x36), as a user would, and polls
the terminal (``tmux capture-pane``, every 5 ms) for:

* **first frame**: the header (``leap0``) is on screen: Python started, everything imported,
  textual-image probed the terminal, Textual drew its first screen;
* **live table**: "Processes · running 4/4" is on screen: the desktop answered and the
  status stream delivered.

Two ways in: ``--url URL --token T`` to a desktop host that is already running, and the
embedded default (no API key), where the app starts its own local desktop host first:
there the first frame is the "Starting the local desktop…" screen, and the live table
waits for Xvfb, xfce4, x11vnc and noVNC to come up. Goal: first frame < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui_tmux import Terminal

from tui.local import LocalHost


def once(base: Path, args: list[str], name: str) -> tuple[float, float]:
    term = Terminal(base, name)
    try:
        started = term.start(args)
        first = term.wait_for(r"leap0", limit=30)
        live = term.wait_for(r"Processes · running 4/4", limit=120, every=0.02)
        term.keys("q")
        deadline = time.monotonic() + 30
        while term.tmux("has-session", "-t", name, check=False) and time.monotonic() < deadline:
            if "leap0" not in term.screen():
                break
            time.sleep(0.1)
        return (first - started) * 1000, (live - started) * 1000
    finally:
        term.stop()


def report(title: str, runs: list[tuple[float, float]]) -> None:
    firsts = [r[0] for r in runs]
    lives = [r[1] for r in runs]
    print(f"{title}  ({len(runs)} runs, ms)")
    print(f"  {'':12}{'median':>8}{'min':>8}{'max':>8}")
    print(
        f"  {'first frame':12}{statistics.median(firsts):8.0f}{min(firsts):8.0f}{max(firsts):8.0f}"
    )
    print(f"  {'live table':12}{statistics.median(lives):8.0f}{min(lives):8.0f}{max(lives):8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="leap0-bench-"))
    host = LocalHost(log_path=base / "host.log")
    print("starting a local desktop host for the --url runs…", flush=True)
    desktop = host.start()
    try:
        url_args = ["--url", desktop.url, "--token", str(desktop.token)]
        url_runs = [once(base, url_args, f"url{i}") for i in range(args.runs)]
    finally:
        host.stop()
    local_runs = [once(base, [], f"local{i}") for i in range(max(1, args.runs // 2))]
    print()
    report("leap0-tui --url URL --token T (desktop already running)", url_runs)
    report("leap0-tui (embedded local desktop, host started by the app)", local_runs)
    worst = max(r[0] for r in url_runs + local_runs)
    print(
        f"goal first frame < 1000 ms: {'met' if worst < 1000 else 'NOT met'} (worst {worst:.0f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
