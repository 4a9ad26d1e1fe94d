"""The host under hostile use: a half-open flood, and memory over repeated work. Prints figures.

    ./dev bench host_hardening [--flood 2000] [--screenshots 500] [--streams 200]
                               [--restarts 20] [--floods 2]

Starts a host of its own (``python -m core.host --port 0``, 1440x900), loopback only,
every loop bounded, and stops it at the end.

* Flood: ``--flood`` connections that send half a request line and nothing more, no token.
  Printed: the host's open descriptors before, at the peak and after the header timeout,
  and the latency of healthz with the token during the flood (p50/p95, fresh connections),
  and the host's RSS after each of ``--floods`` floods (a second one that adds nothing
  shows a plateau of the allocator, not a leak).
* Memory: the host's RSS (``/proc/PID/status`` VmRSS) at the start, then after
  ``--screenshots`` JPEG screenshots, ``--streams`` status-stream connects (each reads its
  first event and closes), and ``--restarts`` restarts (x11vnc and xfce4 in turn).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from figures import percentile, rss_mb

REPO = Path(__file__).resolve().parents[1]


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _start_host(tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    log = open(tmp / "host.log", "ab")  # noqa: SIM115 (kept open while the host runs)
    process = subprocess.Popen(
        [sys.executable, "-m", "core.host", "--port", "0", "--run-dir", str(tmp / "run")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=REPO,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"the host did not start; see {tmp / 'host.log'}")
    return process, json.loads(line)


async def bench_flood(url: str, token: str, pid: int, count: int) -> None:
    port = int(url.rsplit(":", 1)[1])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    count = min(count, hard - 300)
    before = _fds(pid)
    socks: list[socket.socket] = []
    started = time.monotonic()
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        socks.append(sock)
    await asyncio.sleep(0.2)
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.send(b"GET /api/heal")
    peak = _fds(pid)
    latencies: list[float] = []
    failures = 0
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    async with httpx.AsyncClient(timeout=5.0) as client:
        for _ in range(40):
            t0 = time.monotonic()
            try:
                (await client.get(f"{url}/api/healthz", headers=headers)).raise_for_status()
                latencies.append(time.monotonic() - t0)
            except httpx.HTTPError:
                failures += 1
            peak = max(peak, _fds(pid))
            await asyncio.sleep(0.05)
    deadline = time.monotonic() + 20
    while _fds(pid) > before + 10 and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    back_after = time.monotonic() - started
    after = _fds(pid)
    for sock in socks:
        sock.close()
    ms = [s * 1000 for s in latencies] or [float("nan")]
    print(
        f"flood of {count} half-open connections: host fds {before} -> peak {peak} -> {after} "
        f"({back_after:.1f} s after the flood began)"
    )
    print(
        f"healthz with the token during the flood: n={len(latencies)} failed={failures} "
        f"p50 {statistics.median(ms):.1f} ms  p95 {percentile(ms, 95):.1f} ms  "
        f"max {max(ms):.1f} ms"
    )


async def bench_memory(
    url: str, token: str, pid: int, screenshots: int, streams: int, restarts: int
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=90) as http:
        for _ in range(5):
            (await http.get("/api/screenshot", params={"format": "jpeg"})).raise_for_status()
        start = rss_mb(pid)
        print(f"host RSS at start (after 5 warm-up screenshots): {start:.1f} MB")
        for _ in range(screenshots):
            (await http.get("/api/screenshot", params={"format": "jpeg"})).raise_for_status()
        after_shots = rss_mb(pid)
        print(f"  after {screenshots} screenshots: {after_shots:.1f} MB")
        for _ in range(streams):
            async with http.stream("GET", "/api/status/stream") as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data:"):
                        break
        after_streams = rss_mb(pid)
        print(f"  after {streams} stream connects: {after_streams:.1f} MB")
        for i in range(restarts):
            name = ("x11vnc", "xfce4")[i % 2]
            (await http.post(f"/api/process/{name}/restart")).raise_for_status()
        after_restarts = rss_mb(pid)
        print(f"  after {restarts} restarts: {after_restarts:.1f} MB")
        print(f"host RSS {start:.1f} MB -> {after_restarts:.1f} MB ({after_restarts - start:+.1f})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flood", type=int, default=2000)
    parser.add_argument("--floods", type=int, default=2, help="floods, one after the other")
    parser.add_argument("--screenshots", type=int, default=500)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--restarts", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leap0-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        env = dict(os.environ)
        env["LEAP0_RECORDINGS_DIR"] = str(tmp / "recordings")
        env["PYTHONPATH"] = str(REPO)
        process, ready = _start_host(tmp, env)
        try:
            url, token, pid = ready["url"], ready["token"], int(ready["pid"])
            await bench_memory(url, token, pid, args.screenshots, args.streams, args.restarts)
            for _ in range(args.floods):
                await bench_flood(url, token, pid, args.flood)
                print(f"host RSS after the flood: {rss_mb(pid):.1f} MB")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


if __name__ == "__main__":
    asyncio.run(main())
