"""Benchmark: does the fleet's own work ever hold the screen? (no frame blocked > 50 ms)

    ./dev bench fleet_stalls [--seconds 40]

Runs the real command in tmux at 140x36 against the fake control plane with 5,000
sandboxes (200 with a desktop: see ``fleet_screen.py``), with ``loop_probe`` timing every
callback of the app's event loop (each one that held it longer than 20 ms is written down).
A frame can only be drawn between two callbacks, so the longest callback is the longest a
frame waited. Printed by phase:

* **start-up**: from the command to the first rows (imports, CSS, the first screen);
* **first listing**: the first rows to the end of the listing, and 3 s after it (5,000
  targets made, followed, sorted: the fleet's biggest moment);
* **on screen**: ``--seconds`` after that, with End, Home, the four sorts and the trouble
  filter pressed meanwhile.

Goal (issue 10): after start-up, no callback over 50 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fleet_screen import cloud, start
from tui_tmux import Terminal

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "benchmarks" / "loop_probe"
GOAL_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="leap0-bench-"))
    out = base / "callbacks.jsonl"
    proc, url = cloud(5000, 200)
    term = Terminal(base, "stalls")
    try:
        term.env.update({"LOOP_PROBE_OUT": str(out)})
        started = time.monotonic()
        start(term, url, also_on_path=(PROBE,))
        first = term.wait_for(r"│\s+sbx-\d{5}\s+", limit=30, every=0.01)
        term.wait_for(r"5000 sandboxes.*listed (just now|\d+ \w+ ago)", 180, 0.05)
        listed = time.monotonic() + 3.0
        time.sleep(3.0)
        keys = ["End", "Home", "s", "s", "s", "s", "!", "!"]
        pause = args.seconds / (len(keys) + 1)
        for key in keys:
            time.sleep(pause)
            term.keys(key)
        time.sleep(pause + 1.5)  # the probe writes once a second
        ended = time.monotonic()
    finally:
        term.stop()
        proc.terminate()
    held = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    phases = [
        ("start-up", started, first),
        ("first listing", first, listed),
        (f"on screen ({args.seconds:.0f} s, keys)", listed, ended),
    ]
    print("fleet of 5,000 in tmux 140x36: callbacks that held the event loop over 20 ms")
    worst_after = 0.0
    for name, begin, end in phases:
        mine = sorted((h for h in held if begin <= h["at"] < end), key=lambda h: -h["ms"])
        longest = mine[0]["ms"] if mine else 0.0
        over = [h for h in mine if h["ms"] > GOAL_MS]
        print(
            f"  {name:28} {len(mine):4} over 20 ms, {len(over):3} over 50 ms,"
            f" longest {longest:6.1f} ms"
        )
        if name != "start-up":
            worst_after = max(worst_after, longest)
        for entry in over:
            print(f"    {entry['ms']:6.1f} ms in {entry['in'] or '?'}")
    verdict = "met" if worst_after <= GOAL_MS else "NOT met"
    print(f"  after start-up, longest {worst_after:.1f} ms (goal <= {GOAL_MS:.0f} ms: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
