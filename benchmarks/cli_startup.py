"""Benchmark: ``leap0-tui status --json`` from the command to its exit, against a local host.

    ./dev bench cli_startup [--runs 15]

Starts a local desktop host of its own (``leap0-tui host``), then runs the venv's
``leap0-tui status --json --url URL`` (token from ``LEAP0_DESKTOP_TOKEN``) ``--runs``
times, each a new process as a script would start it, and prints wall and CPU time
(median, min, max) beside the same command as ``python -m tui`` and two yardsticks, all
run in turn: ``python -c pass`` (the interpreter alone) and ``curl`` of the same route.
Goal: median < 300 ms. Also checks that a command loaded none of the dashboard (Textual).
The checkout's modules are byte-compiled first, as an installed package's are. The machine
is shared: the load average is printed with the figures (run it when ``uptime`` is low).

Run from a worktree whose venv is another checkout's (an editable install), set
``PYTHONPATH`` to the worktree, or the figures are that checkout's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run (the child's own user + system time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, timeout=60)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({result.returncode}): {result.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def line(name: str, runs: list[tuple[float, float]]) -> None:
    walls = [r[0] * 1000 for r in runs]
    cpus = [r[1] * 1000 for r in runs]
    print(
        f"  {name:28}{statistics.median(walls):8.0f}{min(walls):8.0f}{max(walls):8.0f}"
        f"{statistics.median(cpus):10.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # As an installed package has them (pip compiles at install; PYTHONDONTWRITEBYTECODE
    # would otherwise have every run compile the checkout's modules again).
    subprocess.run([sys.executable, "-m", "compileall", "-q", "core", "tui"], cwd=REPO, check=True)
    with tempfile.TemporaryDirectory() as base:
        host = subprocess.Popen(
            [str(BIN / "leap0-tui"), "host", "--run-dir", f"{base}/run"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.PIPE,
            env={**os.environ, "LEAP0_RECORDINGS_DIR": f"{base}/recordings"},
        )
        try:
            assert host.stdout is not None
            ready = json.loads(host.stdout.readline())
            url, token = ready["url"], ready["token"]
            env = {
                **os.environ,
                "LEAP0_DESKTOP_TOKEN": token,
                "LEAP0_CONFIG": f"{base}/none.toml",
            }
            ours = [str(BIN / "leap0-tui"), "status", "--json", "--url", url]
            module = [sys.executable, "-m", "tui", *ours[1:]]
            python = [sys.executable, "-c", "pass"]
            curl = ["curl", "-sf", "-H", f"Authorization: Bearer {token}", f"{url}/api/status"]
            timed(ours, env)  # warm the page cache
            runs: dict[str, list[tuple[float, float]]] = {
                "ours": [],
                "module": [],
                "python": [],
                "curl": [],
            }
            for _ in range(args.runs):
                runs["ours"].append(timed(ours, env))
                runs["module"].append(timed(module, env))
                runs["python"].append(timed(python, env))
                runs["curl"].append(timed(curl, env))
            modules = subprocess.run(
                [sys.executable, "-X", "importtime", "-m", "tui", *ours[1:]],
                env={**env, "PYTHONPATH": str(REPO)},
                capture_output=True,
                text=True,
                timeout=60,
            ).stderr
        finally:
            host.terminate()
            host.wait(timeout=30)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"leap0-tui status --json, {args.runs} runs each, in turn (ms); load average {load}")
    print(f"  {'':28}{'median':>8}{'min':>8}{'max':>8}{'cpu med':>10}")
    line("leap0-tui status --json", runs["ours"])
    line("python -m tui status --json", runs["module"])
    line("python -c pass", runs["python"])
    line("curl /api/status", runs["curl"])
    ratio = statistics.median(r[0] for r in runs["ours"]) / statistics.median(
        r[0] for r in runs["python"]
    )
    print(f"  ours / bare interpreter: {ratio:.1f}x; goal: median < 300 ms")
    textual = [m for m in modules.splitlines() if "| textual" in m or "tui.app" in m]
    print(f"  Textual or the dashboard loaded by the command: {'yes' if textual else 'no'}")


if __name__ == "__main__":
    main()
