"""The Fleet follows many fake desktops over real HTTP: health, reasons, streams and polls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core.desktop import AsyncDesktopClient
from core.fleet import DesktopReport, Fleet, Health
from core.fleet_targets import FleetTarget, sandbox_target
from core.sandboxes import SandboxSummary
from tests.fleet.conftest import desktop_ref, desktop_targets
from tests.support.fake_control_plane import FakeCloud
from tests.support.loopback import free_port


def fast_fleet(client: AsyncDesktopClient, **kwargs: object) -> Fleet:
    options: dict[str, object] = {
        "max_streams": 5,
        "poll_interval": 0.3,
        "poll_timeout": 2.0,
        "max_backoff": 1.0,
        "heartbeat": 0.2,
        "batch_interval": 0.02,
        "rebalance_interval": 0.1,
        "recording_interval": None,
    }
    options.update(kwargs)
    return Fleet(client, **options)  # type: ignore[arg-type]


async def until(
    fleet: Fleet, check: Callable[[dict[str, DesktopReport]], bool], limit: float = 20
) -> dict[str, DesktopReport]:
    """Read the fleet's batches until ``check`` holds for its reports; the reports then."""
    try:
        async with asyncio.timeout(limit):
            if check(fleet.reports()):
                return fleet.reports()
            async for _ in fleet.changes():
                if check(fleet.reports()):
                    return fleet.reports()
    except TimeoutError:
        pass
    raise AssertionError(f"not reached in {limit} s: {fleet.reports()}")


def all_health(health: Health) -> Callable[[dict[str, DesktopReport]], bool]:
    return lambda reports: bool(reports) and all(r.health is health for r in reports.values())


async def test_every_desktop_reports_running_streams_and_polls(
    cloud: FakeCloud, cloud_url: str, client: AsyncDesktopClient
) -> None:
    targets = desktop_targets(cloud, cloud_url)
    async with fast_fleet(client) as fleet:
        fleet.set_targets(targets)
        reports = await until(fleet, all_health(Health.RUNNING))
        assert len(reports) == len(targets) == 40
        assert len(fleet.streamed) == 5
        vias = [r.via for r in reports.values()]
        assert vias.count("stream") == 5 and vias.count("poll") == 35
        first = reports[targets[0].key]
        assert first.processes == (
            ("xvfb", True),
            ("xfce4", True),
            ("x11vnc", True),
            ("novnc", True),
        )
        assert first.reason is None and first.received_at is not None


async def test_a_stopped_process_shows_on_streamed_and_polled_desktops(
    cloud: FakeCloud, cloud_url: str, client: AsyncDesktopClient
) -> None:
    targets = desktop_targets(cloud, cloud_url)
    async with fast_fleet(client) as fleet:
        fleet.set_targets(targets)
        fleet.set_priority([targets[0].key])
        await until(fleet, all_health(Health.RUNNING))
        streamed, polled = targets[0].key, targets[-1].key
        assert streamed in fleet.streamed and polled not in fleet.streamed
        cloud.set_process(streamed, "xfce4", False)
        cloud.set_process(polled, "xvfb", False)
        reports = await until(
            fleet,
            lambda r: (
                r[streamed].health is Health.DEGRADED and r[polled].health is Health.UNHEALTHY
            ),
        )
        assert reports[streamed].reason == "xfce4 down"
        assert reports[streamed].running("xfce4") is False
        assert reports[polled].reason == "xvfb down"
        # A desktop in trouble is promoted to a stream.
        await until(fleet, lambda r: polled in fleet.streamed)
        cloud.set_process(streamed, "xfce4", True)
        reports = await until(fleet, lambda r: r[streamed].health is Health.RUNNING)
        assert reports[streamed].restarts == 1


async def test_reasons_name_the_failure(
    cloud: FakeCloud, cloud_url: str, client: AsyncDesktopClient
) -> None:
    wrong, silent = cloud.desktop_ids()[:2]
    cloud.set_desktop(wrong, token="another")
    port = free_port()  # nothing listens there
    refused = FleetTarget("refused", desktop_ref(f"http://127.0.0.1:{port}", "x"), "x", "local")
    targets = [
        FleetTarget(wrong, desktop_ref(cloud_url, wrong), wrong, "sandbox"),
        FleetTarget(silent, desktop_ref(cloud_url, silent), silent, "sandbox"),
        refused,
    ]
    for max_streams, hung in ((3, "no event for 0.6 s"), (0, "no answer in 2 s")):
        cloud.set_desktop(silent, silent=False)
        async with fast_fleet(client, max_streams=max_streams) as fleet:
            fleet.set_targets(targets)
            await until(fleet, lambda r: r[silent].health is Health.RUNNING)
            cloud.set_desktop(silent, silent=True)  # a desktop that hangs
            wanted = {wrong: "401 wrong token", "refused": "connection refused", silent: hung}
            reports = await until(
                fleet, lambda r, wanted=wanted: all(r[k].reason == v for k, v in wanted.items())
            )
            for key in wanted:
                assert reports[key].health is Health.UNREACHABLE, reports[key]
            assert reports[silent].processes[0] == ("xvfb", True)  # as last seen


async def test_a_paused_sandbox_is_unknown_and_never_contacted(
    cloud: FakeCloud, cloud_url: str, client: AsyncDesktopClient
) -> None:
    paused_id = cloud.desktop_ids()[0]
    cloud.set_state(paused_id, "paused")
    cloud.set_desktop(paused_id, token="nobody-may-call")  # any call would show as 401
    row = next(r for r in cloud.sandboxes if r["id"] == paused_id)
    target = sandbox_target(
        SandboxSummary.model_validate(row), lambda s: desktop_ref(cloud_url, s.id)
    )
    async with fast_fleet(client) as fleet:
        fleet.set_targets([target])
        await asyncio.sleep(1.0)
        report = fleet.report(paused_id)
        assert report is not None
        assert (report.health, report.reason, report.via) == (
            Health.UNKNOWN,
            "sandbox paused",
            None,
        )
        assert not fleet.streamed


async def test_priority_chooses_the_streams_and_gone_targets_stop(
    cloud: FakeCloud, cloud_url: str, client: AsyncDesktopClient
) -> None:
    targets = desktop_targets(cloud, cloud_url)
    async with fast_fleet(client, max_streams=3) as fleet:
        fleet.set_targets(targets)
        await until(fleet, all_health(Health.RUNNING))
        on_screen = [t.key for t in targets[20:23]]
        fleet.set_priority(on_screen)
        await until(fleet, lambda r: fleet.streamed == set(on_screen), limit=5)
        fleet.set_targets(targets[20:21])
        await asyncio.sleep(0.3)
        assert set(fleet.reports()) == {targets[20].key}
        assert fleet.streamed == {targets[20].key}


async def streams_become(
    fleet: Fleet, check: Callable[[frozenset[str]], bool], limit: float = 5.0
) -> None:
    """Until ``check`` holds for the streamed set (a stream that stops reports nothing, so
    this looks rather than reads batches)."""
    deadline = asyncio.get_running_loop().time() + limit
    while not check(fleet.streamed):
        assert asyncio.get_running_loop().time() < deadline, sorted(fleet.streamed)
        await asyncio.sleep(0.05)


async def test_a_new_stream_limit_takes_effect_with_the_same_priority(
    cloud: FakeCloud, cloud_url: str, client: AsyncDesktopClient
) -> None:
    # As behind a desktop screen: the fleet keeps its priority (the open desktop), and
    # only the limit drops; the streams past it stop, without a new priority to wake it.
    targets = desktop_targets(cloud, cloud_url)
    async with fast_fleet(client, max_streams=4) as fleet:
        fleet.set_targets(targets)
        fleet.set_priority([targets[7].key])
        await until(fleet, lambda r: len(fleet.streamed) == 4, limit=5)
        fleet.max_streams = 1
        await streams_become(fleet, lambda streamed: streamed == {targets[7].key})
        fleet.max_streams = 3
        await streams_become(fleet, lambda streamed: len(streamed) == 3)
        assert targets[7].key in fleet.streamed


async def test_polling_keeps_to_its_rate_and_concurrency(
    cloud: FakeCloud, cloud_url: str, client: AsyncDesktopClient
) -> None:
    targets = desktop_targets(cloud, cloud_url)
    async with fast_fleet(
        client, max_streams=0, poll_interval=0.01, max_poll_rate=40, poll_concurrency=2
    ) as fleet:
        fleet.set_targets(targets)
        await until(fleet, all_health(Health.RUNNING))
        first = {k: r.received_at for k, r in fleet.reports().items()}
        requests = cloud.status_requests
        await asyncio.sleep(2.0)
        later = fleet.reports()
        # 40 desktops at 40 polls a second, not 40 every 0.01 s: each about once a second.
        polled = sum(1 for k, r in later.items() if r.received_at != first[k])
        assert polled >= 30
        assert cloud.status_requests - requests <= 2.0 * 40 + 2
        assert all(r.via == "poll" for r in later.values())


async def test_new_desktops_get_their_first_status_ahead_of_paced_polls(
    cloud: FakeCloud, cloud_url: str, client: AsyncDesktopClient
) -> None:
    ids = cloud.desktop_ids()
    for sandbox_id in ids[:30]:
        cloud.set_desktop(sandbox_id, token="refused")  # polled again and again, paced
    targets = desktop_targets(cloud, cloud_url)
    failing = [t for t in targets if t.key in ids[:30]]
    async with fast_fleet(client, max_streams=0, max_poll_rate=2, max_backoff=0.5) as fleet:
        fleet.set_targets(failing)
        await until(fleet, lambda r: all(x.reason == "401 wrong token" for x in r.values()))
        await asyncio.sleep(1.0)  # their next polls are due: 30 at 2 a second
        fleet.set_targets(targets)
        new = [t.key for t in targets if t not in failing]
        # Not after the 15 s the paced polls take: first statuses are not paced.
        await until(fleet, lambda r: all(r[k].health is Health.RUNNING for k in new), limit=4)
