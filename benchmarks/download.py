"""Benchmark: streaming a recording to disk, against ``curl -o`` of the same URL.

    ./dev bench download [--sizes 50,500] [--runs 5]

Serves files of each size (MB) from a local server that answers like the desktop host's
download route (Starlette ``FileResponse`` under uvicorn on 127.0.0.1, in a process of its
own), then, alternating, for each size:

* ``curl -sS -o FILE URL``: the baseline; its own ``time_total``;
* ``download_recording_to``: in a fresh Python process with a warmed-up client (one
  metadata request made, as in a long-running app), timed inside it from the call to
  its return (metadata request, transfer, size check, fsync and rename included) and to
  its last progress report (the transfer alone, comparable with curl, which does not
  fsync); the process's peak RSS (``VmHWM``) and its RSS before the download;
* ``download_recording`` (the whole file in memory), for its peak RSS.

Prints medians and bests of ``--runs`` runs and the throughput ratios (goal: >= 0.9 of
curl; on a shared machine the bests are the least disturbed by other load), and the peak
RSS (goal: under 80 MB, the same for every size). Everything it writes lives in one
directory under /tmp, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parents[1]
MB = 1_000_000
RECORDING = "rec_bench"


# ── the server process ──


def serve(directory: Path, port: int) -> None:
    """Answer ``/api/recordings/{id}`` and ``.../download`` from ``directory/{id}.mp4``."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Route

    def file_for(request: Request) -> Path:
        return directory / f"{request.path_params['recording_id']}.mp4"

    async def metadata(request: Request) -> Response:
        path = file_for(request)
        summary = {"id": path.stem, "size_bytes": path.stat().st_size, "mime_type": "video/mp4"}
        return JSONResponse(summary)

    async def download(request: Request) -> Response:
        path = file_for(request)
        return FileResponse(path, media_type="video/mp4", filename=path.name)

    app = Starlette(
        routes=[
            Route("/api/recordings/{recording_id}", metadata),
            Route("/api/recordings/{recording_id}/download", download),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


# ── the measured process ──


def rss_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in kB (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


async def fetch(url: str, out: Path, mode: str) -> dict[str, Any]:
    """Download once with the client; return the timings and memory figures."""
    from core import AsyncDesktopClient, AsyncTransport, DownloadProgress

    async with AsyncDesktopClient(AsyncTransport(timeout=60.0)) as client:
        # Warm up as a long-lived app client is: imports done lazily, connection open.
        await client.get_recording(url, RECORDING)
        base = rss_kb("VmRSS")
        transferred_at: float | None = None
        size = 0

        def on_progress(progress: DownloadProgress) -> None:
            nonlocal transferred_at, size
            size = progress.received
            if progress.total is not None and progress.received == progress.total:
                transferred_at = time.perf_counter()

        started = time.perf_counter()
        if mode == "file":
            await client.download_recording_to(
                url, RECORDING, out, progress=on_progress, overwrite=True
            )
        else:
            size = len(await client.download_recording(url, RECORDING))
        finished = time.perf_counter()
    return {
        "seconds": finished - started,
        "transfer_seconds": (transferred_at or finished) - started,
        "bytes": size,
        "base_rss_kb": base,
        "peak_rss_kb": rss_kb("VmHWM"),
    }


# ── the conductor ──


@dataclass
class Runs:
    seconds: list[float]
    transfer_seconds: list[float]
    peak_rss_kb: list[int]
    base_rss_kb: list[int]

    @classmethod
    def empty(cls) -> Runs:
        return cls([], [], [], [])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the benchmark server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the benchmark server did not start")


def make_file(path: Path, size: int) -> None:
    block = os.urandom(MB)
    with path.open("wb") as file:
        for _ in range(size // MB):
            file.write(block)
        file.write(block[: size % MB])


def run_curl(url: str, out: Path) -> float:
    """``curl -o`` of the recording's download route on the desktop at ``url``; seconds."""
    download = f"{url}/api/recordings/{RECORDING}/download"
    result = subprocess.run(
        ["curl", "-sS", "--fail", "-o", str(out), "-w", "%{time_total}", download],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(result.stdout)


def run_client(url: str, out: Path, mode: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "fetch", url, str(out), mode],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def fresh(path: Path) -> None:
    """Remove ``path`` and flush dirty pages, so one run's writeback does not slow the next."""
    path.unlink(missing_ok=True)
    os.sync()


def measure(url: str, work: Path, size: int, runs: int) -> None:
    out = work / "out.mp4"
    curl: list[float] = []
    to_file = Runs.empty()
    in_memory = Runs.empty()
    # One warm-up of each (page cache, connection set-up), not counted.
    fresh(out)
    run_curl(url, out)
    fresh(out)
    run_client(url, out, "file")

    def with_curl() -> None:
        fresh(out)
        curl.append(run_curl(url, out))
        assert out.stat().st_size == size, f"curl got {out.stat().st_size} bytes, not {size}"

    def with_client() -> None:
        fresh(out)
        figures = run_client(url, out, "file")
        assert figures["bytes"] == out.stat().st_size == size, "download_recording_to: size"
        for name, values in vars(to_file).items():
            values.append(figures[name])

    for run in range(runs):  # alternate who goes first
        for step in (with_curl, with_client) if run % 2 == 0 else (with_client, with_curl):
            step()
    fresh(out)
    figures = run_client(url, out, "bytes")
    assert figures["bytes"] == size, "download_recording got the wrong size"
    for name, values in vars(in_memory).items():
        values.append(figures[name])
    fresh(out)
    report(size, curl, to_file, in_memory)


def report(size: int, curl: list[float], to_file: Runs, in_memory: Runs) -> None:
    """Print one size's figures: medians, and bests (least disturbed by other load)."""

    def line(label: str, runs: list[float], note: str = "") -> None:
        median, best = statistics.median(runs), min(runs)
        ratios = ""
        if runs is not curl:
            ratios = (
                f"  ratio to curl {statistics.median(curl) / median:4.2f}"
                f" (best {min(curl) / best:4.2f})"
            )
        print(
            f"  {label:<26}{median:6.2f} s {size / median / MB:6.1f} MB/s"
            f"  best {best:5.2f} s{ratios}{note}"
        )

    def mb(kb: float) -> str:
        return f"{kb / 1000:6.1f} MB"

    print(f"\n{size // MB} MB: medians of {len(curl)} runs")
    line("curl -o", curl)
    line("download_recording_to", to_file.seconds, "  whole call (+ verify, fsync, rename)")
    line("  transfer alone", to_file.transfer_seconds)
    print(
        f"  peak RSS download_recording_to {mb(max(to_file.peak_rss_kb))}"
        f"  (before the download {mb(statistics.median(to_file.base_rss_kb))})"
    )
    print(
        f"  peak RSS download_recording    {mb(max(in_memory.peak_rss_kb))}"
        f"  (before the download {mb(statistics.median(in_memory.base_rss_kb))})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500", help="file sizes in MB, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per size")
    args = parser.parse_args()
    sizes = [int(s) * MB for s in args.sizes.split(",")]
    if shutil.which("curl") is None:
        sys.exit("curl is needed as the baseline")
    work = Path(tempfile.mkdtemp(prefix="leap0-bench-download-", dir="/tmp"))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(SCRIPT), "serve", str(work), str(port)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        wait_for_port(port, server)
        url = f"http://127.0.0.1:{port}"
        print(f"server: Starlette FileResponse under uvicorn, pid {server.pid}, {url}")
        print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}")
        for size in sizes:
            source = work / f"{RECORDING}.mp4"
            make_file(source, size)
            measure(url, work, size, args.runs)
            source.unlink()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "fetch":
        result = asyncio.run(fetch(sys.argv[2], Path(sys.argv[3]), sys.argv[4]))
        print(json.dumps(result))
    else:
        main()
