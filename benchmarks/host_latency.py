"""Latency of the local desktop host: screenshots and status changes. Prints figures.

    ./dev bench host_latency [--rounds 60] [--kills 20] [--url URL --token TOKEN]

Without ``--url`` it starts a host of its own (``python -m core.host --port 0``) at
1440x900 and stops it at the end.

* Screenshot route: wall time of ``GET /api/screenshot`` over loopback (request sent to
  body read) for JPEG (default quality) and PNG, on the xfce4 desktop as it starts.
  Goals: median <= 25 ms (JPEG) and <= 90 ms (PNG). The host's own share (grab and
  encode, from its ``Server-Timing`` header) is printed too.
* Status change: from ``kill -9`` of x11vnc to the SSE event that shows it stopped,
  read by a client holding ``GET /api/status/stream`` open. Goal: p95 <= 50 ms.
  x11vnc is restarted through the API between rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from figures import percentile

REPO = Path(__file__).resolve().parents[1]


def _report(name: str, seconds: list[float], goal_ms: float, goal_kind: str) -> None:
    ms = [s * 1000 for s in seconds]
    median = statistics.median(ms)
    p95 = percentile(ms, 95)
    measured = median if goal_kind == "median" else p95
    verdict = "ok" if measured <= goal_ms else "MISSED"
    print(
        f"{name:<28} n={len(ms):<3} median {median:7.1f} ms  p95 {p95:7.1f} ms  "
        f"min {min(ms):6.1f}  max {max(ms):7.1f}   goal {goal_kind} <= {goal_ms:g} ms: {verdict}"
    )


async def bench_screenshots(http: httpx.AsyncClient, rounds: int) -> None:
    for image_format, goal in (("jpeg", 25.0), ("png", 90.0)):
        for _ in range(5):  # warm up: connection, capture thread, encoder
            (await http.get("/api/screenshot", params={"format": image_format})).raise_for_status()
        times: list[float] = []
        server: list[float] = []
        size = 0
        for _ in range(rounds):
            start = time.perf_counter()
            response = await http.get("/api/screenshot", params={"format": image_format})
            body = response.content
            times.append(time.perf_counter() - start)
            response.raise_for_status()
            size = len(body)
            timing = response.headers.get("server-timing", "")
            if "dur=" in timing:
                server.append(float(timing.split("dur=")[1].split(",")[0]) / 1000)
        _report(f"screenshot 1440x900 {image_format}", times, goal, "median")
        if server:
            print(
                f"{'':<28} of which capture+encode in the host: median "
                f"{statistics.median(server) * 1000:.1f} ms; image {size / 1024:.0f} KiB"
            )


async def _events(response: httpx.Response) -> AsyncIterator[dict[str, object]]:
    async for line in response.aiter_lines():
        if line.startswith("data:"):
            yield json.loads(line[5:])


def _x11vnc(status: dict[str, object]) -> dict[str, object]:
    items = status["items"]
    assert isinstance(items, list)
    return next(item for item in items if item["name"] == "x11vnc")


async def bench_status_changes(http: httpx.AsyncClient, kills: int) -> None:
    latencies: list[float] = []
    async with http.stream("GET", "/api/status/stream", timeout=None) as response:
        events = _events(response)
        for _ in range(kills):
            status = await anext(events)
            while not _x11vnc(status)["running"] or status["status"] != "running":
                status = await anext(events)
            pid = _x11vnc(status)["pid"]
            assert isinstance(pid, int)
            killed = time.perf_counter()
            os.kill(pid, signal.SIGKILL)
            while True:
                status = await anext(events)
                if not _x11vnc(status)["running"]:
                    latencies.append(time.perf_counter() - killed)
                    break
            (await http.post("/api/process/x11vnc/restart", timeout=60)).raise_for_status()
    _report("status change kill -> SSE", latencies, 50.0, "p95")


def _start_host() -> tuple[subprocess.Popen[bytes], dict[str, object]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "core.host", "--port", "0", "--size", "1440x900"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"the host exited before it was ready ({process.wait()})")
    return process, json.loads(line)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="screenshots per format")
    parser.add_argument("--kills", type=int, default=20, help="status changes to time")
    parser.add_argument("--url", help="an existing host (default: start one)")
    parser.add_argument("--token", help="its token")
    args = parser.parse_args(argv)

    process = None
    if args.url:
        url, token = args.url, args.token or ""
    else:
        process, ready = _start_host()
        url, token = str(ready["url"]), str(ready["token"])
        print(f"host {url} display {ready['display']} ({ready['status']})")
        await asyncio.sleep(2.0)  # let the desktop finish drawing
    try:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            await bench_screenshots(http, args.rounds)
            await bench_status_changes(http, args.kills)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
