"""Benchmark: the fleet screen in a real terminal (tmux), against the fake account.

    python benchmarks/fleet_screen.py [--seconds 20] [--runs 3]

Runs ``python -m tests.support.fleet_command`` (the real ``leap0-tui`` command line, the
sandboxes' desktops found under the fake control plane) in tmux at 140x36, with a fake
control plane in a process of its own (``python -m tests.support.fake_control_plane``):

* **50 sandboxes, one with xfce4 down** (all 50 with a desktop): seconds from the command
  to that desktop shown on the first row with its health (``degraded``), no key pressed.
  Goal <= 3 s.
* **5,000 sandboxes** (200 with a desktop, the other 4,800 answer 404: unreachable):
  command to the first rows (goal <= 1.5 s); CPU over ``--seconds`` with the fleet on
  screen once listed (goal < 3 % of a core) and with a desktop open over it (goal < 2 %;
  the whole process, the desktop screen's own work included); RSS (goal < 150 MB).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from figures import rss_mb
from tui_tmux import Terminal, cpu_seconds

ROOT = Path(__file__).resolve().parent.parent

SIZE = (140, 36)
DESKTOP = "sbx-00000"
"""A sandbox of the 5,000 with a (fake) desktop: the oldest 200 have one."""


def cloud(count: int, desktops: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_control_plane", str(count), str(desktops)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/v1/sandboxes?page-size=1")
        except urllib.error.HTTPError:
            break  # 401: it answers
        except OSError:
            time.sleep(0.05)
    return proc, url


def fake(url: str, path: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/_fake/{path}", method="POST"))


def start(
    term: Terminal, url: str, size: tuple[int, int] = SIZE, also_on_path: tuple[Path, ...] = ()
) -> float:
    """The command against the fake account at ``url``; ``also_on_path``: folders put on
    its ``PYTHONPATH`` after the checkout (a probe's ``sitecustomize``)."""
    path = ":".join(str(folder) for folder in (ROOT, *also_on_path))
    term.env.update({"LEAP0_API_KEY": "cp-key", "LEAP0_BASE_URL": url, "PYTHONPATH": path})
    command = f"{sys.executable} -m tests.support.fleet_command {url}"
    return term.start([], size=size, command=command)


def cpu(pid: int, seconds: float) -> float:
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - cpu0) / (time.perf_counter() - wall0)


def fifty(base: Path) -> float:
    proc, url = cloud(50, 50)
    broken = "sbx-00017"
    fake(url, f"process/{broken}/xfce4?running=0")
    term = Terminal(base, "fifty")
    try:
        started = start(term, url)
        shown = term.wait_for(rf"Why\s+│\n│\s+{broken}\s+running\s+degraded", limit=30, every=0.01)
        return shown - started
    finally:
        term.stop()
        proc.terminate()


def five_thousand(base: Path, seconds: float) -> tuple[float, float, float, float, float, float]:
    proc, url = cloud(5000, 200)
    term = Terminal(base, "many")
    try:
        started = start(term, url)
        first = term.wait_for(r"│\s+sbx-\d{5}\s+", limit=30, every=0.01) - started
        listed = term.wait_for(r"5000 sandboxes.*listed (just now|\d+ \w+ ago)", 180, 0.1)
        pid = term.pid()
        time.sleep(30)  # every desktop's first poll or stream
        on_screen = cpu(pid, seconds)
        rss = rss_mb(pid)
        term.keys("/")
        term.tmux("send-keys", "-t", term.name, "-l", DESKTOP)
        term.keys("Enter")
        term.wait_for(rf"5000 sandboxes · .*│\s+{DESKTOP}\s+running\s+running", 30, 0.1)
        term.keys("Enter")
        term.wait_for(rf"leap0 — {DESKTOP}.*Processes", limit=30, every=0.1)
        time.sleep(5)
        behind = cpu(pid, seconds)
        rss = max(rss, rss_mb(pid))
        term.stop()
        # The same desktop screen alone (--url): what the desktop screen costs by itself.
        alone_term = Terminal(base, "alone")
        alone_term.env.update({"LEAP0_DESKTOP_TOKEN": "desk-token", "PYTHONPATH": str(ROOT)})
        alone_term.start(["--url", f"{url}/desktops/{DESKTOP}"], size=SIZE,
                         command=f"{sys.executable} -m tui")  # fmt: skip
        try:
            alone_term.wait_for(r"Processes", limit=30, every=0.1)
            time.sleep(5)
            alone = cpu(alone_term.pid(), seconds)
        finally:
            alone_term.stop()
        return first, listed - started, on_screen, behind, alone, rss
    finally:
        term.stop()
        proc.terminate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3, help="runs of the 50 (the median)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="leap0-bench-"))
    tops = sorted(fifty(base) for _ in range(args.runs))
    top = tops[len(tops) // 2]
    first, listed, on_screen, behind, alone, rss = five_thousand(base, args.seconds)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    runs = " ".join(f"{t:.2f}" for t in tops)
    print(f"fleet screen, {SIZE[0]}x{SIZE[1]} in tmux, fake control plane in its own process")
    print(f"  50 sandboxes, xfce4 down on one: on top, degraded, after {top:5.2f} s"
          f"  (goal <= 3 s: {verdict(top <= 3)}; median of {runs})")  # fmt: skip
    print(f"  5,000 sandboxes: first rows after        {first:5.2f} s"
          f"  (goal <= 1.5 s: {verdict(first <= 1.5)})")  # fmt: skip
    print(f"  5,000 sandboxes: all listed after      {listed:5.2f} s")
    print(f"  idle CPU, fleet on screen ({args.seconds:.0f} s):      {on_screen:5.2f} %"
          f"  (goal < 3 %: {verdict(on_screen < 3)})")  # fmt: skip
    print(f"  idle CPU, a desktop open over it:      {behind:5.2f} %"
          f"  (goal < 2 %: {verdict(behind < 2)})")  # fmt: skip
    print(f"    the same desktop screen alone (--url): {alone:5.2f} %;"
          f" the fleet behind it adds {behind - alone:5.2f} %")  # fmt: skip
    print(f"  RSS:                                   {rss:5.0f} MB"
          f"  (goal < 150 MB: {verdict(rss < 150)})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
