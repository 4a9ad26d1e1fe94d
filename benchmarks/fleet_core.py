"""Benchmark: the fleet's core (no screen) against a fake account served by another process.

    ./dev bench fleet_core [--rounds 40] [--poll-seconds 20]

Starts ``python -m tests.support.fake_control_plane`` (real HTTP on loopback, in a process
of its own so the figures are the client's alone) and prints:

* **SSE latency**: 200 desktops followed over SSE on one client (``Fleet``,
  ``max_streams=200``); each round stops xfce4 on a random one (a control request to the
  fake) and times until the fleet's batch reports it degraded. Goal: p95 <= 1 s.
* **RSS per followed desktop**: the client's RSS with the 200 streams live, minus before the
  fleet started, over 200. Goal: < 100 KiB.
* **Idle CPU with 200 streams**: heartbeats only, over 10 s.
* **Polling CPU**: 1,000 desktops followed by polling only (at most ``--poll-rate`` polls a
  second, the Fleet's default 20: each every 50 s), CPU time of this process over
  ``--poll-seconds`` as a percentage of one core.
* **Listing**: 5,000 sandboxes, 100 a page: time to the first page and to all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from figures import percentile, rss_kib

from core.desktop import AsyncDesktopClient
from core.fleet import Fleet, Health
from core.fleet_targets import FleetTarget
from core.references import DesktopTarget
from core.sandboxes import walk_sandboxes
from core.transport import AsyncTransport
from tests.support.fake_control_plane import API_KEY, DESKTOP_TOKEN

ROOT = Path(__file__).resolve().parent.parent


class FakeServer:
    """The fake account in a child process; stopped by closing its stdin."""

    def __init__(self, count: int, desktops: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fake_control_plane", str(count), str(desktops)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(self.url + "/v1/sandboxes", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)

    def targets(self, count: int) -> list[FleetTarget]:
        ids = [f"sbx-{i:05d}" for i in range(count)]
        return [
            FleetTarget(
                i,
                DesktopTarget(f"{self.url}/desktops/{i}", token=DESKTOP_TOKEN, name=i),
                i,
                "sandbox",
            )
            for i in ids
        ]


async def all_running(fleet: Fleet, count: int) -> None:
    """Return once ``count`` desktops of the fleet are running."""
    async for _ in fleet.changes():
        if sum(r.health is Health.RUNNING for r in fleet.reports().values()) >= count:
            return


def new_client(url: str) -> AsyncDesktopClient:
    return AsyncDesktopClient(AsyncTransport(api_key=API_KEY, base_url=url, timeout=10.0))


async def sse_figures(rounds: int) -> None:
    server = FakeServer(200, 200)
    try:
        async with new_client(server.url) as client, httpx.AsyncClient() as control:
            targets = server.targets(200)
            await client.process_status(targets[0].ref)  # warm the imports and the pool
            gc.collect()
            before = rss_kib()
            async with Fleet(client, max_streams=200, recording_interval=None) as fleet:
                fleet.set_targets(targets)
                waiting: dict[str, asyncio.Future[float]] = {}

                async def consume() -> None:
                    async for batch in fleet.changes():
                        now = time.perf_counter()
                        for report in batch:
                            future = waiting.get(report.key)
                            if (
                                future is not None
                                and not future.done()
                                and report.health is future.health  # type: ignore[attr-defined]
                            ):
                                future.set_result(now)

                async def until(key: str, health: Health) -> float:
                    future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                    future.health = health  # type: ignore[attr-defined]
                    waiting[key] = future
                    if (report := fleet.report(key)) is not None and report.health is health:
                        return time.perf_counter()
                    return await asyncio.wait_for(future, 30)

                started = time.perf_counter()
                await all_running(fleet, 200)
                consumer = asyncio.create_task(consume())
                print(f"200 desktops running over SSE after {time.perf_counter() - started:.2f} s")
                streamed = len(fleet.streamed)
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await asyncio.sleep(10)  # five heartbeats on every stream
                idle = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
                gc.collect()
                after = rss_kib()
                latencies = []
                for _ in range(rounds):
                    key = random.choice(targets).key
                    sent = time.perf_counter()
                    await control.post(f"{server.url}/_fake/process/{key}/xfce4?running=0")
                    latencies.append(await until(key, Health.DEGRADED) - sent)
                    await control.post(f"{server.url}/_fake/process/{key}/xfce4?running=1")
                    await until(key, Health.RUNNING)
                consumer.cancel()
        print(
            f"SSE, {streamed} streams on one client: stop → reported p50 "
            f"{statistics.median(latencies) * 1000:.0f} ms, p95 "
            f"{percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
            f"({rounds} rounds; goal p95 <= 1000 ms)"
        )
        print(f"200 streams idle (heartbeats every 2 s): {100 * idle:.1f} % of a core")
        print(
            f"client RSS: {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB with 200 streams: "
            f"{(after - before) / 200:.0f} KiB per followed desktop (goal < 100 KiB)"
        )
    finally:
        server.close()


async def poll_figures(seconds: float, rate: float) -> None:
    server = FakeServer(1000, 1000)
    try:
        async with new_client(server.url) as client:
            targets = server.targets(1000)
            async with Fleet(client, max_streams=0, max_poll_rate=rate) as fleet:
                fleet.set_targets(targets)
                started = time.perf_counter()
                await all_running(fleet, 1000)
                first = time.perf_counter() - started
                print(f"1,000 desktops polled, all running after {first:.1f} s")
                # The first round is as fast as the slots allow; the paced rounds after it
                # start one interval after the first statuses: measure those.
                interval = max(10.0, 1000 / rate)
                await asyncio.sleep(max(0.0, started + interval - time.perf_counter()))
                cpu0, wall0 = time.process_time(), time.perf_counter()
                polled0 = {k: r.received_at for k, r in fleet.reports().items()}
                await asyncio.sleep(seconds)
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                polls = sum(1 for k, r in fleet.reports().items() if r.received_at != polled0[k])
        print(
            f"polling 1,000 desktops: {100 * cpu / wall:.1f} % of a core over {wall:.0f} s "
            f"({polls} polls, {1000 * cpu / max(1, polls):.2f} ms of CPU each; each desktop "
            f"every {interval:.0f} s at {rate:g} polls a second)"
        )
    finally:
        server.close()


async def listing_figures() -> None:
    server = FakeServer(5000, 0)
    try:
        async with AsyncTransport(api_key=API_KEY, base_url=server.url) as transport:
            await anext(walk_sandboxes(transport, page_size=1))  # warm the pool
            started = time.perf_counter()
            first = None
            rows = 0
            async for page in walk_sandboxes(transport, page_size=100):
                if first is None:
                    first = time.perf_counter() - started
                rows = len(page.rows)
            whole = time.perf_counter() - started
        assert first is not None
        print(
            f"listing 5,000 sandboxes: first page ({100} rows) in {first * 1000:.0f} ms, "
            f"all {rows} in {whole:.2f} s"
        )
    finally:
        server.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--poll-seconds", type=float, default=30.0)
    parser.add_argument("--poll-rate", type=float, default=20.0, help="Fleet's max_poll_rate")
    args = parser.parse_args()
    await sse_figures(args.rounds)
    await poll_figures(args.poll_seconds, args.poll_rate)
    await listing_figures()


if __name__ == "__main__":
    asyncio.run(main())
