"""Regenerate ``screenshots/`` from the real app on a real local desktop.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

Runs ``leap0-tui``'s app in its embedded mode (it starts ``core.host`` as a child, as a
user's ``leap0-tui`` does), waits until every pane has what the desktop gives it, and saves
SVG screenshots of the main screens at 120x36, 160x48, 240x70 and 80x24, the preview zoomed,
the desktop as a 16-colour terminal (``TERM=xterm``) sees it, and the fleet of two local
desktops and a desktop host that is away, as a table and as thumbnails. Each SVG is also converted
to PNG when ``rsvg-convert`` (Debian: librsvg2-bin) is installed. The preview is drawn with
Chafa's symbols, as in tmux. Nothing here is hand-made: rerun it after changing how things
look.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from core.config import load_settings  # noqa: E402
from tui.app import Leap0App  # noqa: E402
from tui.local import LocalHost  # noqa: E402
from tui.screens.desktop import DesktopScreen  # noqa: E402
from tui.screens.fleet import FleetScreen  # noqa: E402
from tui.widgets.display_info import DisplayInfo  # noqa: E402
from tui.widgets.fleet_grid import FleetGrid  # noqa: E402
from tui.widgets.fleet_table import FleetTable  # noqa: E402
from tui.widgets.log_lines import LogLines  # noqa: E402
from tui.widgets.process_table import ProcessTable  # noqa: E402
from tui.widgets.screen_preview import ScreenPreview  # noqa: E402
from tui.widgets.symbols import SymbolsFrame  # noqa: E402
from tui.widgets.window_list import WindowList  # noqa: E402


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], what: str, limit: float = 120
) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: gave up waiting for {what}")
        await pilot.pause(0.1)


async def settle(pilot: Pilot[Any]) -> None:
    """Until the panes on screen show what the desktop has."""
    screen = pilot.app.screen
    table = screen.query_one(ProcessTable)
    await wait_for(
        pilot, lambda: table.overall == "running" and table.feed_state == "live", "status"
    )

    def shown(selector: str) -> bool:
        return bool(screen.query_one(selector).region.height)

    if shown("#pane-processes"):
        await wait_for(pilot, lambda: screen.query_one(DisplayInfo).pointer is not None, "display")
        await wait_for(pilot, lambda: screen.query_one(WindowList).row_count > 0, "windows")
    if shown("#pane-logs"):
        await wait_for(
            pilot,
            lambda: screen.query(LogLines) and any(x.line_count for x in screen.query(LogLines)),
            "logs",
        )
    if shown("#pane-preview"):
        await wait_for(pilot, lambda: screen.query_one(ScreenPreview).frame is not None, "frame")
    await pilot.pause(1.5)


def save(app: Leap0App, out: Path, name: str, png: bool) -> None:
    svg = out / f"{name}.svg"
    app.save_screenshot(str(svg))
    print(f"wrote {svg.relative_to(ROOT) if svg.is_relative_to(ROOT) else svg}")
    if png:
        target = svg.with_suffix(".png")
        subprocess.run(["rsvg-convert", str(svg), "-o", str(target)], check=True)
        print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")


async def shoot(out: Path, png: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="leap0-screenshots-") as tmp:
        base = Path(tmp)
        settings = load_settings(
            config_path=base / "none.toml", download_dir=base / "downloads", env={}
        )
        host = LocalHost(log_path=base / "host.log")
        app = Leap0App(settings, local_host=host, image_renderer=SymbolsFrame)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, DesktopScreen), "the desktop")
            await settle(pilot)
            save(app, out, "desktop-120x36", png)

            await pilot.press("z")
            await pilot.pause(1.5)  # the next frame, sized for the whole screen
            save(app, out, "desktop-zoomed", png)
            await pilot.press("z")

            for width, height in ((160, 48), (240, 70)):
                await pilot.resize_terminal(width, height)
                await pilot.pause(0.5)
                await settle(pilot)
                save(app, out, f"desktop-{width}x{height}", png)
            await pilot.resize_terminal(120, 36)
            await pilot.pause(0.5)
            await settle(pilot)

            app.theme = "leap0-ansi"  # what TERM=xterm without COLORTERM gets
            await pilot.pause(0.5)
            save(app, out, "desktop-16-colours", png)
            app.theme = "leap0-dark"
            await pilot.pause(0.5)

            table = app.screen.query_one(ProcessTable)
            table.focus()
            table.move_cursor(row=table.get_row_index("x11vnc"))
            await pilot.press("r")
            await pilot.pause(0.5)
            save(app, out, "restart-confirmation", png)
            await pilot.press("y")
            await wait_for(pilot, lambda: table.overall == "running", "restart")
            await wait_for(
                pilot, lambda: (table.process_row("x11vnc") or (0, 0, 0))[2] == 1, "new pid"
            )
            app.clear_notifications()

            await pilot.press("3", "slash", *"x11vnc", "enter")
            await pilot.pause(1.0)
            save(app, out, "log-search", png)
            await pilot.press("escape")

            await pilot.press("question_mark")
            await pilot.pause(0.5)
            save(app, out, "help", png)
            await pilot.press("escape")

            await pilot.resize_terminal(80, 24)
            await pilot.press("1")
            await settle(pilot)
            save(app, out, "desktop-80x24", png)
            await pilot.press("2")
            await settle(pilot)
            save(app, out, "desktop-80x24-preview", png)
        host.stop()
        await shoot_fleet(base, out, png)


async def shoot_fleet(base: Path, out: Path, png: bool) -> None:
    """The fleet as ``leap0-tui --local 2`` shows it with a config profile whose desktop
    host is away: two real local desktops and one unreachable, trouble on top."""
    config = base / "fleet.toml"
    config.write_text('[profiles.lab]\nurl = "http://127.0.0.1:9"\ntoken = "lab-token"\n')
    settings = load_settings(config_path=config, download_dir=base / "downloads", env={})
    hosts = [LocalHost(log_path=base / f"fleet-host{n}.log") for n in (1, 2)]
    app = Leap0App(settings, local_fleet=hosts, image_renderer=SymbolsFrame)
    try:
        async with app.run_test(size=(160, 24)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, FleetScreen), "the fleet")
            table = app.screen.query_one(FleetTable)

            def settled() -> bool:
                health = [str(table.cell(key, "health")) for key in table.order]
                return sorted(health) == ["running", "running", "unreachable"]

            await wait_for(pilot, settled, "two desktops running, one unreachable")
            await pilot.pause(1.0)
            save(app, out, "fleet", png)
            # The same fleet as thumbnails (t): the two desktops' screens, the away one's why.
            await pilot.resize_terminal(120, 20)
            await pilot.press("t")
            grid = app.screen.query_one(FleetGrid)
            await wait_for(
                pilot,
                lambda: sum(t.picture is not None for t in grid.tiles) == 2,
                "two thumbnails",
            )
            await pilot.pause(1.0)
            save(app, out, "fleet-grid", png)
    finally:
        for host in hosts:
            host.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # The pictures show a true-colour terminal, whatever runs the script (the theme follows
    # the terminal's colours); the 16-colour one is taken on purpose.
    os.environ["COLORTERM"] = "truecolor"
    os.environ.pop("NO_COLOR", None)
    png = shutil.which("rsvg-convert") is not None
    if not png:
        print("rsvg-convert not found (apt-get install librsvg2-bin): SVG only")
    asyncio.run(shoot(args.out, png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
