"""The three pieces wired as a screen wires them: listing → targets → fleet, over real HTTP."""
# 500 sandboxes, 460 of them without a desktop, took over 10 s on a loaded machine: the
# first polls go newest first, and the desktops were the oldest.

from __future__ import annotations

import asyncio

from core.desktop import AsyncDesktopClient
from core.fleet import Health
from core.fleet_targets import FleetTargets
from core.sandbox_watch import SandboxWatch
from core.transport import AsyncTransport
from tests.fleet.conftest import FAST_RETRY, desktop_ref
from tests.fleet.test_fleet import fast_fleet, until
from tests.support.fake_control_plane import API_KEY, FakeCloud
from tests.support.loopback import serve


async def test_listed_sandboxes_are_followed_and_a_pause_stops_it() -> None:
    cloud = FakeCloud(60, desktops=50, heartbeat=0.2)  # the 10 newest have no desktop
    with serve(cloud) as cloud_url:
        transport = AsyncTransport(api_key=API_KEY, base_url=cloud_url, retry=FAST_RETRY)
        async with AsyncDesktopClient(transport) as client:
            await follow(cloud, cloud_url, client)


async def follow(cloud: FakeCloud, cloud_url: str, client: AsyncDesktopClient) -> None:
    with_desktop = cloud.desktop_ids()
    for sandbox_id in with_desktop[:5]:
        cloud.set_state(sandbox_id, "paused")
    targets = FleetTargets(lambda s: desktop_ref(cloud_url, s.id))
    watch = SandboxWatch(client.transport, min_interval=0.2, interval_factor=1)

    async with fast_fleet(client, max_streams=10) as fleet:

        async def follow_listing() -> None:
            async for update in watch.updates():
                if targets.set_sandboxes(update.rows):
                    fleet.set_targets(targets.targets().values())

        listing = asyncio.create_task(follow_listing())
        try:
            reports = await until(
                fleet,
                lambda r: (
                    len(r) == 60 and all(r[k].health is Health.RUNNING for k in with_desktop[5:])
                ),
            )
            for sandbox_id in with_desktop[:5]:
                assert (reports[sandbox_id].health, reports[sandbox_id].reason) == (
                    Health.UNKNOWN,
                    "sandbox paused",
                )
            # A listed sandbox without a desktop answering is unreachable, with why.
            no_desktop = next(k for k in reports if k not in cloud.desktops)
            assert reports[no_desktop].reason == "404 no such desktop"
            # The control plane pauses one more: the next listing stops following it.
            cloud.set_state(with_desktop[5], "paused")
            await until(fleet, lambda r: r[with_desktop[5]].reason == "sandbox paused")
        finally:
            listing.cancel()
