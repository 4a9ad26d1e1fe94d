"""Benchmark: the fleet's thumbnails grid in a real terminal (tmux), 12 tiles at default refresh.

    python benchmarks/fleet_grid.py [--seconds 20]

Runs the real command line (``python -m tests.support.fleet_command``) in tmux at 128x52,
where the grid shows 12 tiles (4 columns, 3 rows), against a fake control plane in a
process of its own whose 12 sandboxes each have a fake desktop serving a real-sized
screenshot (1440x900, encoded by Pillow as the desktop asks: JPEG of low quality). The
grid draws the way the ``graphics`` setting says in tmux (``auto``: Chafa's symbols).

Prints the CPU of the dashboard's process, in % of a core, over ``--seconds`` with the
table on screen, then with the grid (goal < 10 %), the screenshots the desktops answered
meanwhile, and the RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from figures import rss_mb
from fleet_screen import cloud, cpu, start
from tui_tmux import Terminal

SIZE = (128, 52)
"""4 columns of 30-cell tiles, 3 rows of 12-row tiles."""


def screenshots(url: str) -> int:
    request = urllib.request.Request(f"{url}/_fake/screenshots", method="POST")
    with urllib.request.urlopen(request) as answer:
        count: int = json.load(answer)["count"]
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="leap0-bench-"))
    proc, url = cloud(12, 12)
    term = Terminal(base, "grid")
    try:
        start(term, url, SIZE)
        term.wait_for(r"12 sandboxes.*listed (just now|\d+ \w+ ago)", 60, 0.1)
        term.wait_for(r"sbx-00000\s+running\s+running", 30, 0.1)
        pid = term.pid()
        time.sleep(3)
        table = cpu(pid, args.seconds)
        term.keys("t")
        term.wait_for(r"thumbnails every 3 s", 30, 0.1)
        time.sleep(5)  # every tile's first picture
        before = screenshots(url)
        began = time.perf_counter()
        grid = cpu(pid, args.seconds)
        fetched = screenshots(url) - before
        elapsed = time.perf_counter() - began
        rss = rss_mb(pid)
        tiles = len(set(term.screen().split()) & {f"sbx-{i:05d}" for i in range(12)})
    finally:
        term.stop()
        proc.terminate()
    verdict = "met" if grid < 10 else "NOT met"
    print(f"fleet thumbnails grid, {SIZE[0]}x{SIZE[1]} in tmux (symbols), 12 fake desktops"
          " serving 1440x900 screenshots")  # fmt: skip
    print(f"  tiles on screen:                     {tiles:5d}")
    print(f"  CPU, the table ({args.seconds:.0f} s):              {table:5.2f} %")
    print(f"  CPU, the grid at every 3 s ({args.seconds:.0f} s):  {grid:5.2f} %"
          f"  (goal < 10 %: {verdict})")  # fmt: skip
    print(f"  screenshots fetched meanwhile:       {fetched:5d}"
          f"  ({fetched / elapsed:.1f} a second)")  # fmt: skip
    print(f"  RSS:                                 {rss:5.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
