"""Benchmark: what a real terminal shows of the live preview, grabbed off its X display.

    python benchmarks/terminal_grabs.py --display :87 --region X,Y,W,H [--grabs 200]

Run the dashboard in a real terminal emulator on an X display of its own (the recipe is in
shared/TERMINALS.md: xterm -ti vt340 for Sixel, mlterm, kitty), make something move on
its desktop (a terminal printing a line every 50 ms), put the preview in live mode (``2``,
``l``), and give the preview's rectangle on the terminal's display in pixels. This grabs
that rectangle as fast as it can for ``--grabs`` times (with mss) and prints:

* **blank grabs**: grabs where the rectangle is one flat colour (the pane cleared, the
  image not drawn yet) - the blink the issue measured at 8-11 % of grabs with textual-image
  on Sixel; goal 0;
* **distinct frames/s**: how many different pictures the terminal showed per second;
* **torn grabs** are not told apart from distinct frames: a grab between two halves of a
  Sixel draw counts as one more distinct picture.

Nothing is written outside memory. The terminal and the app are not started here: real
terminals need a display and a window manager-free Xvfb, which the recipe sets up.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import time
from collections import Counter

import mss


def flat(pixels: bytes, share: float = 0.97) -> bool:
    """Whether one colour covers ``share`` of a BGRA pixel buffer (sampled)."""
    sample = [pixels[i : i + 3] for i in range(0, len(pixels), 4 * 7)]
    top = Counter(sample).most_common(1)[0][1]
    return top >= share * len(sample)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its threads."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--display", required=True, help="the terminal's X display, e.g. :87")
    parser.add_argument("--region", required=True, help="X,Y,W,H of the preview in pixels")
    parser.add_argument("--grabs", type=int, default=200)
    parser.add_argument("--label", default="", help="a name for the line printed")
    parser.add_argument("--pid", type=int, help="the app's pid: also print its CPU share")
    args = parser.parse_args()
    x, y, w, h = (int(v) for v in args.region.split(","))
    box = {"left": x, "top": y, "width": w, "height": h}
    hashes: list[bytes] = []
    blank = 0
    cpu = cpu_seconds(args.pid) if args.pid else 0.0
    with mss.MSS(display=args.display) as grabber:
        started = time.monotonic()
        for _ in range(args.grabs):
            pixels = grabber.grab(box).bgra
            hashes.append(hashlib.blake2b(pixels, digest_size=16).digest())
            blank += flat(pixels)
        wall = time.monotonic() - started
    load = f", app CPU {100 * (cpu_seconds(args.pid) - cpu) / wall:.0f} %" if args.pid else ""
    changes = sum(1 for a, b in itertools.pairwise(hashes) if a != b)
    print(
        f"{args.label or args.display}: {args.grabs} grabs in {wall:.1f} s "
        f"({args.grabs / wall:.0f}/s), blank {blank} ({100 * blank / args.grabs:.1f} %), "
        f"distinct {len(set(hashes))}, changes {changes} ({changes / wall:.1f}/s){load}"
    )


if __name__ == "__main__":
    main()
