"""Health from a status, and a client-side limit never blamed on a desktop."""

from __future__ import annotations

import asyncio

import httpx

from core.desktop import AsyncDesktopClient
from core.fleet import Health
from core.fleet_health import health_of, is_client_side
from core.models import DesktopProcessStatusList
from core.routes import Routes
from core.transport import AsyncTransport
from tests.fleet.conftest import FAST_RETRY, desktop_ref, desktop_targets
from tests.fleet.test_fleet import fast_fleet, until
from tests.support.fake_control_plane import API_KEY, FakeCloud, FakeDesktop


def status(**running: bool) -> DesktopProcessStatusList:
    desktop = FakeDesktop("sbx")
    desktop.running.update(running)
    return DesktopProcessStatusList.model_validate(desktop.status())


def test_health_follows_the_spec_status() -> None:
    assert health_of(status()) == (Health.RUNNING, None)
    assert health_of(status(xfce4=False, novnc=False)) == (Health.DEGRADED, "xfce4, novnc down")
    assert health_of(status(xvfb=False)) == (Health.UNHEALTHY, "xvfb down")
    everything_down = status(xvfb=False, xfce4=False, x11vnc=False, novnc=False)
    assert health_of(everything_down) == (Health.UNHEALTHY, "all processes stopped")
    assert [h.value for h in sorted(Health, key=lambda h: h.severity)] == [
        "unreachable", "unhealthy", "degraded", "unknown", "running"
    ]  # fmt: skip


async def test_a_full_pool_of_our_own_is_not_the_desktops_fault(
    cloud: FakeCloud, cloud_url: str
) -> None:
    one_connection = httpx.AsyncClient(limits=httpx.Limits(max_connections=1))
    transport = AsyncTransport(
        api_key=API_KEY, base_url=cloud_url, retry=FAST_RETRY, http_client=one_connection
    )
    targets = desktop_targets(cloud, cloud_url)[:3]
    async with AsyncDesktopClient(transport) as client:
        held = transport.stream(
            "GET",
            client.endpoint(desktop_ref(cloud_url, targets[0].key)),
            Routes.STATUS_STREAM.path(),
        )
        await held.__aenter__()  # the only connection, held by a stream
        async with fast_fleet(client, max_streams=0, poll_timeout=0.2) as fleet:
            fleet.set_targets(targets)
            await asyncio.sleep(1.0)  # several polls wait for the pool and give up
            for report in fleet.reports().values():
                assert (report.health, report.reason) == (Health.UNKNOWN, "no status yet")
            await held.__aexit__(None, None, None)
            await until(fleet, lambda r: all(x.health is Health.RUNNING for x in r.values()))


def test_only_a_pool_wait_is_client_side() -> None:
    from core.transport import error_for_exception

    def translated(exc: httpx.HTTPError) -> Exception:
        try:
            raise error_for_exception(exc, "process status", "sbx") from exc
        except Exception as error:
            return error

    assert is_client_side(translated(httpx.PoolTimeout("full")))
    assert not is_client_side(translated(httpx.ReadTimeout("slow")))
    assert not is_client_side(translated(httpx.ConnectError("refused")))
