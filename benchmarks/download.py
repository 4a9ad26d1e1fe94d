"""Benchmark: ``download_recording_to``, the whole call, against ``curl -o`` and an fsync.

    ./dev bench download [--size 300] [--runs 3]

Serves one file of ``--size`` MB from a local server that answers like the desktop host's
routes (Starlette ``FileResponse`` under uvicorn on 127.0.0.1, in a process of its own), then,
alternating who goes first, ``--runs`` times each:

* the baseline: ``curl -sS -o FILE URL`` (its own ``time_total``) followed by an ``fsync`` of
  FILE, the least a download that survives a crash must do;
* ``download_recording_to`` in a fresh Python process with a warmed-up client (one request
  made, as in a long-running app), timed inside it from the call to its return: the
  metadata request, the transfer, the side file, the size check, fsync, rename and the
  directory's fsync.

Prints every run, the best of each (on a shared machine the least disturbed by other load)
and the ratio of the bests, curl / download_recording_to (goal: >= 0.9). Dirty pages are
flushed before each run. Everything it writes lives in one directory under /tmp, removed at
the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
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


async def fetch(url: str, out: Path) -> dict[str, Any]:
    """Download once with the client; return the whole call's seconds."""
    from core import AsyncDesktopClient, AsyncTransport

    async with AsyncDesktopClient(AsyncTransport(timeout=60.0)) as client:
        # Warm up as a long-lived app client is: imports done lazily, connection open.
        await client.get_recording(url, RECORDING)
        started = time.perf_counter()
        await client.download_recording_to(url, RECORDING, out, overwrite=True)
        seconds = time.perf_counter() - started
    return {"seconds": seconds}


# ── the conductor ──


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
    """``curl -o`` of the recording's download route, then an fsync of the file; seconds."""
    download = f"{url}/api/recordings/{RECORDING}/download"
    result = subprocess.run(
        ["curl", "-sS", "--fail", "-o", str(out), "-w", "%{time_total}", download],
        check=True,
        capture_output=True,
        text=True,
    )
    started = time.perf_counter()
    fd = os.open(out, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return float(result.stdout) + time.perf_counter() - started


def run_client(url: str, out: Path) -> float:
    """``download_recording_to`` in a fresh process; the whole call's seconds."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "fetch", url, str(out)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    figures: dict[str, Any] = json.loads(result.stdout)
    seconds: float = figures["seconds"]
    return seconds


def fresh(path: Path) -> None:
    """Remove ``path`` and flush dirty pages, so one run's writeback does not slow the next."""
    path.unlink(missing_ok=True)
    os.sync()


def measure(url: str, work: Path, size: int, runs: int) -> None:
    out = work / "out.mp4"
    curl: list[float] = []
    client: list[float] = []
    # One warm-up of each (page cache, connection set-up), not counted.
    for warm_up in (run_curl, run_client):
        fresh(out)
        warm_up(url, out)

    def with_curl() -> None:
        fresh(out)
        curl.append(run_curl(url, out))
        assert out.stat().st_size == size, f"curl got {out.stat().st_size} bytes, not {size}"

    def with_client() -> None:
        fresh(out)
        client.append(run_client(url, out))
        assert out.stat().st_size == size, "download_recording_to got the wrong size"

    for run in range(runs):  # alternate who goes first
        for step in (with_curl, with_client) if run % 2 == 0 else (with_client, with_curl):
            step()
    fresh(out)
    report(size, curl, client)


def report(size: int, curl: list[float], client: list[float]) -> None:
    """Print every run, the bests and their ratio."""

    def line(label: str, runs: list[float]) -> None:
        each = " ".join(f"{r:5.2f}" for r in runs)
        best = min(runs)
        print(f"  {label:<38} best {best:5.2f} s {size / best / MB:6.1f} MB/s   (runs: {each})")

    print(f"\n{size // MB} MB, best of {len(curl)}")
    line("curl -o + fsync", curl)
    line("download_recording_to (whole call)", client)
    print(f"  ratio curl / download_recording_to: {min(curl) / min(client):4.2f}  (goal >= 0.90)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=300, help="file size in MB")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each")
    args = parser.parse_args()
    size = args.size * MB
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
        make_file(work / f"{RECORDING}.mp4", size)
        measure(url, work, size, args.runs)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "fetch":
        result = asyncio.run(fetch(sys.argv[2], Path(sys.argv[3])))
        print(json.dumps(result))
    else:
        main()
