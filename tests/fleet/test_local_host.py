"""The fleet on the real local desktop host: its status, a restart, its recording, a dead port."""

from __future__ import annotations

from core.desktop import AsyncDesktopClient
from core.fleet import Fleet, Health
from core.fleet_targets import local_target
from tests.fleet.test_fleet import until
from tests.host.harness import HostProcess
from tests.support.loopback import free_port


async def test_the_fleet_follows_the_real_host_and_sees_a_restart(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    await desktop_client.wait_until_ready(local_host.url)
    targets = [
        local_target("real", local_host.url, local_host.token),
        local_target("gone", f"http://127.0.0.1:{free_port()}", "x"),
    ]
    # One streamed, one polled: the real host over SSE, the dead port by polling.
    async with Fleet(
        desktop_client, max_streams=1, poll_interval=0.5, batch_interval=0.02
    ) as fleet:
        fleet.set_targets(targets)
        fleet.set_priority(["local:real"])
        reports = await until(
            fleet,
            lambda r: (
                r["local:real"].health is Health.RUNNING
                and r["local:real"].recording is False
                and r["local:gone"].reason == "connection refused"
            ),
            limit=20,
        )
        real = reports["local:real"]
        assert real.via == "stream" and real.restarts == 0
        assert all(up for _, up in real.processes)
        assert reports["local:gone"].health is Health.UNREACHABLE
        await desktop_client.restart_process(local_host.url, "x11vnc")
        reports = await until(
            fleet,
            lambda r: r["local:real"].restarts == 1 and r["local:real"].health is Health.RUNNING,
            limit=20,
        )
    await desktop_client.wait_until_ready(local_host.url)
