"""``leap0-tui --local 3``: three real local desktop hosts in the fleet, all stopped on quit."""

from __future__ import annotations

import os
from pathlib import Path

from tests.tui.conftest import settings_for, wait_for
from tests.tui.test_local import alive
from tui.app import Leap0App
from tui.local import LocalHost
from tui.screens.fleet import FleetScreen
from tui.widgets.fleet_table import FleetTable


async def test_three_local_hosts_in_the_fleet_and_q_stops_them_all(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home)}
    env.pop("LEAP0_RECORDINGS_DIR", None)
    hosts = [LocalHost(log_path=tmp_path / f"host-{i}.log", env=env) for i in (1, 2, 3)]
    settings = settings_for("http://unused", None, tmp_path).model_copy(
        update={"desktop_url": None, "desktop_token": None}
    )
    assert settings.mode == "local"
    app = Leap0App(settings, local_fleet=hosts)
    keys = ["local:local-1", "local:local-2", "local:local-3"]
    async with app.run_test(size=(140, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FleetScreen), 120, "the fleet")
        table = app.screen.query_one(FleetTable)
        await wait_for(
            pilot,
            lambda: (
                table.order == keys and all(str(table.cell(k, "health")) == "running" for k in keys)
            ),
            60,
            "three running desktops",
        )
        assert all(str(table.cell(k, "processes")) == "● ● ● ●" for k in keys)
        counts = str(app.screen.query_one("#fleet-counts").render())
        assert counts.startswith("3 desktops")
        desktops = [h.desktop for h in hosts]
        assert all(d is not None for d in desktops)
        assert len({d.url for d in desktops if d}) == 3
        assert len({d.token for d in desktops if d}) == 3
        pids = [h.pid for h in hosts]
        assert all(pid is not None and alive(pid) for pid in pids)
        await pilot.press("q")
    assert not any(h.running for h in hosts)
    assert not any(alive(pid) for pid in pids if pid is not None)
    # Each host had a recordings folder of its own.
    folders = sorted(p.name for p in (home / ".cache").glob("leap0-recordings*"))
    assert folders == ["leap0-recordings", "leap0-recordings-2", "leap0-recordings-3"]
