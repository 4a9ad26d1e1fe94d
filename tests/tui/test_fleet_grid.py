"""The fleet's thumbnails grid (``t``) against the fake control plane's desktops, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual_image.widget import HalfcellImage

from core.config import load_settings
from core.desktop import DesktopTarget
from core.sandboxes import SandboxSummary
from tests.host.harness import HostProcess
from tests.support.fake_control_plane import API_KEY, DESKTOP_TOKEN, FakeCloud
from tests.support.loopback import serve
from tests.tui.conftest import wait_for
from tui.app import Leap0App
from tui.screens.desktop import DesktopScreen
from tui.screens.fleet import FleetScreen
from tui.widgets.fleet_grid import FleetGrid
from tui.widgets.fleet_table import FleetTable
from tui.widgets.key_footer import KeyFooter

SIZE = (160, 40)
"""5 columns of tiles, 2 rows under the counts: 10 tiles on screen."""


@pytest.fixture
def cloud_and_url() -> Iterator[tuple[FakeCloud, str]]:
    cloud = FakeCloud(50, desktops=50, heartbeat=0.5, screen=(480, 300))
    with serve(cloud) as url:
        yield cloud, url


def fleet_app(url: str, tmp_path: Path) -> Leap0App:
    settings = load_settings(
        api_key=API_KEY,
        base_url=url,
        config_path=tmp_path / "no-config.toml",
        download_dir=tmp_path,
        env={},
    )

    def where(sandbox: SandboxSummary) -> DesktopTarget:
        return DesktopTarget(f"{url}/desktops/{sandbox.id}", DESKTOP_TOKEN, name=sandbox.id)

    return Leap0App(settings, sandbox_ref=where, image_renderer=HalfcellImage)


def parts(app: Leap0App) -> tuple[FleetScreen, FleetTable, FleetGrid]:
    screen = app.screen
    assert isinstance(screen, FleetScreen)
    return screen, screen.query_one(FleetTable), screen.query_one(FleetGrid)


async def settled(pilot: Pilot[object], table: FleetTable, running: int = 50) -> None:
    await wait_for(
        pilot,
        lambda: (
            table.row_count == 50
            and [str(table.cell(k, "health")) for k in table.order].count("running") == running
        ),
        what=f"{running} running desktops",
    )


def pictured(grid: FleetGrid) -> list[str]:
    return [t.desktop for t in grid.tiles if t.desktop is not None and t.picture is not None]


async def test_t_toggles_the_grid_keeping_the_rows_and_the_cursor(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        _, table, grid = parts(app)
        await settled(pilot, table)
        await pilot.press("down", "down", "down")
        assert table.cursor_desktop == ids[3]
        await pilot.press("t")
        await wait_for(pilot, lambda: len(grid.tiles) == 10, what="10 tiles")
        assert grid.display and not table.display and grid.has_focus
        assert grid.order == table.order
        assert grid.cursor_desktop == ids[3]
        assert [t.desktop for t in grid.tiles] == ids[:10]
        cursor = grid.tile_of(ids[3])
        assert cursor is not None and cursor.has_class("-cursor")
        assert cursor.border_title == ids[3] and cursor.border_subtitle == "running"
        assert cursor.has_class("-running")
        # Every tile on screen gets its picture, drawn by the preview's renderer.
        await wait_for(pilot, lambda: len(pictured(grid)) == 10, what="10 pictures")
        frame = cursor.query_one("#frame")
        assert isinstance(frame, HalfcellImage) and frame.display
        # Arrows move between tiles: down is a row of 5 further; the table follows.
        await pilot.press("down", "right")
        assert grid.cursor_desktop == ids[9]
        assert table.cursor_desktop == ids[9]
        await pilot.press("left", "up")
        assert grid.cursor_desktop == ids[3]
        # PageDown scrolls to the next screen of tiles; End to the last one.
        await pilot.press("pagedown")
        assert grid.cursor_desktop == ids[13]
        assert grid.visible_keys() == ids[10:20]
        await pilot.press("end")
        assert grid.cursor_desktop == ids[49]
        assert grid.visible_keys()[-5:] == ids[45:50]
        await pilot.press("home")
        assert grid.cursor_desktop == ids[0] and grid.visible_keys() == ids[:10]
        # A click on a tile puts the cursor there.
        clicked = grid.tile_of(ids[7])
        assert clicked is not None
        await pilot.click(clicked)
        assert grid.cursor_desktop == ids[7] == table.cursor_desktop
        await pilot.press("home")
        # The filter and ! apply to the grid as to the table.
        await pilot.press("slash", *"0004", "enter")
        assert grid.order == [k for k in ids if "0004" in k] == table.order
        assert grid.has_focus
        await pilot.press("slash", "escape")
        assert len(grid.order) == 50
        cloud.set_process(ids[20], "xfce4", False)
        await wait_for(pilot, lambda: grid.order[0] == ids[20], what="trouble on top")
        tile = grid.tile_of(ids[20])
        assert tile is not None and tile.has_class("-degraded")
        assert tile.border_subtitle == "degraded"
        line = tile.query_one("#line")
        await wait_for(pilot, lambda: str(line.render()) == "xfce4 down", what="the reason")
        await pilot.press("exclamation_mark")
        assert grid.order == [ids[20]]
        await pilot.press("exclamation_mark")
        # Back to the table on the same desktop.
        await pilot.press("right", "right")
        selected = grid.cursor_desktop
        await pilot.press("t")
        assert table.display and not grid.display and table.has_focus
        assert table.cursor_desktop == selected
        await pilot.pause(0.1)
        assert selected in table.visible_keys()


async def test_only_the_tiles_on_screen_are_fetched_a_few_at_a_time(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        _, table, grid = parts(app)
        await settled(pilot, table)
        assert sum(cloud.screenshots.values()) == 0  # the table fetches none
        cloud.screenshot_delay = 0.2
        await pilot.press("t")
        await wait_for(pilot, lambda: len(pictured(grid)) == 10, what="10 pictures")
        assert set(cloud.screenshots) == set(ids[:10])
        assert cloud.most_screenshots_in_flight == 3  # a few at a time
        cloud.screenshot_delay = 0.0
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: len(pictured(grid)) == 10, what="the next 10")
        first = dict(cloud.screenshots)
        assert set(first) == set(ids[:20])
        # The tiles that left are not fetched again; those on screen every 3 s.
        await pilot.pause(3.5)
        assert all(cloud.screenshots[k] == first[k] for k in ids[:10])
        assert all(cloud.screenshots[k] > first[k] for k in ids[10:20])
        assert set(cloud.screenshots) == set(ids[:20])
        # Back to the table: nothing more.
        await pilot.press("t")
        await pilot.pause(0.2)
        before = sum(cloud.screenshots.values())
        await pilot.pause(3.5)
        assert sum(cloud.screenshots.values()) == before


async def test_plus_and_minus_change_the_interval(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        _, table, grid = parts(app)
        await settled(pilot, table)
        await pilot.press("t")
        assert grid.border_title == "thumbnails every 3 s (+/-)"
        await pilot.press("minus", "minus")
        assert grid.interval == 10.0
        assert grid.border_title == "thumbnails every 10 s (+/-)"
        await wait_for(pilot, lambda: len(pictured(grid)) == 10, what="10 pictures")
        await pilot.pause(0.3)
        first = cloud.screenshots[ids[0]]
        await pilot.pause(3.5)
        assert cloud.screenshots[ids[0]] == first  # not yet: every 10 s
        await pilot.press("plus", "plus", "plus")  # 10 -> 5 -> 3 -> 2
        assert grid.interval == 2.0
        await wait_for(
            pilot, lambda: cloud.screenshots[ids[0]] >= first + 2, 6, "fetches every 2 s"
        )
        await pilot.press(*["plus"] * 5)
        assert grid.interval == 1.0  # the shortest


async def test_enter_opens_the_desktop_and_the_grid_rests_meanwhile(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen, table, grid = parts(app)
        await settled(pilot, table)
        await pilot.press("t", "right", "down")
        await wait_for(pilot, lambda: len(pictured(grid)) == 10, what="10 pictures")
        assert grid.cursor_desktop == ids[6]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DesktopScreen), what="the desktop")
        desktop = app.screen
        assert isinstance(desktop, DesktopScreen)
        assert isinstance(desktop.target, DesktopTarget) and desktop.target.name == ids[6]
        await pilot.pause(0.5)
        others = {k: v for k, v in cloud.screenshots.items() if k != ids[6]}
        await pilot.pause(3.5)
        assert {k: v for k, v in cloud.screenshots.items() if k != ids[6]} == others
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="the fleet again")
        assert grid.display and grid.cursor_desktop == ids[6]
        await wait_for(
            pilot,
            lambda: cloud.screenshots[ids[0]] > others[ids[0]],
            5,
            "fetching again",
        )


async def test_marks_and_bulk_restart_from_the_grid(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    from tui.screens.choice import ChoiceScreen
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.lines import LinesScreen

    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen, table, grid = parts(app)
        await settled(pilot, table)
        await pilot.press("t", "space", "space")
        assert screen.marks == {ids[0], ids[1]}
        assert grid.cursor_desktop == ids[2]
        tile = grid.tile_of(ids[0])
        assert tile is not None and tile.border_title == f"✓ {ids[0]}"
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the choice")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        assert app.screen.question_title == "Restart xfce4 on 2 desktops?"
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, LinesScreen), what="results")
        assert sorted(cloud.restarts) == sorted([(ids[0], "xfce4"), (ids[1], "xfce4")])


async def test_a_desktop_not_reached_says_why_in_its_tile(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    cloud.set_desktop(ids[2], token="another")  # refuses the token: unreachable
    cloud.set_state(ids[4], "paused")  # not followed
    cloud.set_desktop(ids[6], screenshot_status=500)  # status fine, screenshots fail
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        _, table, grid = parts(app)
        await settled(pilot, table, running=48)
        await pilot.press("t")
        await wait_for(pilot, lambda: len(pictured(grid)) == 7, what="7 pictures")

        def why(key: str) -> str:
            tile = grid.tile_of(key)
            assert tile is not None
            return str(tile.query_one("#why").render())

        await wait_for(pilot, lambda: why(ids[6]).startswith("⚠ 500"), what="the failure")
        refused = grid.tile_of(ids[2])
        assert refused is not None and refused.picture is None
        assert refused.has_class("-unreachable") and refused.border_subtitle == "unreachable"
        assert why(ids[2]) == "unreachable: 401 wrong token"
        assert why(ids[4]) == "sandbox paused"
        assert why(ids[6]) == "⚠ 500: screen capture failed"
        assert ids[2] not in cloud.screenshots and ids[4] not in cloud.screenshots


async def test_a_real_desktop_in_a_tile(local_host: HostProcess, tmp_path: Path) -> None:
    """The session's real local host, named by a profile: its screen in the tile."""
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.lab]\nurl = "{local_host.url}"\ntoken = "{local_host.token}"\n')
    settings = load_settings(config_path=config, download_dir=tmp_path, env={})
    assert settings.mode == "fleet"
    app = Leap0App(settings, image_renderer=HalfcellImage)
    async with app.run_test(size=(100, 30)) as pilot:
        _, table, grid = parts(app)
        await wait_for(pilot, lambda: table.order == ["profile:lab"], what="the row")
        await pilot.press("t")
        await wait_for(pilot, lambda: bool(pictured(grid)), 15, "the real desktop's picture")
        tile = grid.tile_of("profile:lab")
        assert tile is not None and tile.picture is not None and tile.border_title == "lab"
        image = tile.picture.image
        # A screen of about 16:10 shrunk to the tile, with more than one colour on it.
        assert 1.4 < image.width / image.height < 1.8
        colours = image.getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 4


async def test_the_fleet_s_footer_never_runs_into_the_palette_hint(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    _, url = cloud_and_url
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        _, table, grid = parts(app)
        await wait_for(pilot, lambda: table.row_count == 50, what="the rows")
        await pilot.press("t")  # the grid's keys (+, -) join the footer's
        await wait_for(pilot, lambda: grid.display, what="the grid")
        await pilot.pause(0.3)
        footer = app.screen.query_one(KeyFooter)
        keys = [c for c in footer.children if not c.has_class("-command-palette")]
        hint = next(c for c in footer.children if c.has_class("-command-palette"))
        assert footer.has_class("-crowded") and not hint.display
        await pilot.resize_terminal(240, 30)
        await pilot.pause(0.3)
        assert not footer.has_class("-crowded") and hint.display
        assert max(k.region.right for k in keys) <= hint.region.x
