"""The desktop screen's layout: the preview first, sized to the desktop; zoom; the footer;
the theme a terminal's colours get. Pilot on the fake desktop, at the sizes users have."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.geometry import Size
from textual.widgets import Footer

from tests.tui.conftest import make_app, wait_for
from tests.tui.fake_desktop import StatefulDesktop
from tui import graphics
from tui.frames import fit_cells
from tui.screens.desktop import DesktopScreen
from tui.screens.desktop_layout import (
    BOTTOM_ROWS,
    SIDE_SHARE,
    SIDE_WIDTH,
    WideLayout,
    wide_layout,
)
from tui.terminal_probe import TerminalAnswers
from tui.themes import ANSI_THEME, DEFAULT_THEME, colour_system, theme_for
from tui.widgets.key_footer import KeyFooter
from tui.widgets.process_table import ProcessTable
from tui.widgets.screen_preview import ScreenPreview

PANES = ("processes", "preview", "logs", "recordings")
CELL = (10, 20)


def image_aspect(cols: int, rows: int) -> float:
    """Width over height, in pixels, of ``cols`` x ``rows`` cells of ``CELL``."""
    return cols * CELL[0] / (rows * CELL[1])


def image_cells(layout: WideLayout, size: tuple[int, int], desktop: tuple[int, int]) -> Size:
    """The cells the desktop's image covers in the preview pane of ``layout``."""
    box = Size(size[0] - layout.side - 2, layout.top - 3)
    return Size(*fit_cells(desktop, box, CELL))


@pytest.mark.parametrize("size", [(110, 32), (120, 36), (160, 48), (240, 70), (400, 60)])
def test_the_preview_keeps_the_desktops_aspect_and_leaves_the_others_their_room(
    size: tuple[int, int],
) -> None:
    width, height = size
    layout = wide_layout(size, (1440, 900), CELL)
    image = image_cells(layout, size, (1440, 900))
    assert abs(image_aspect(image.width, image.height) - 1440 / 900) < 0.1
    # No empty rows in the pane, and no empty columns unless the left column is at its
    # widest share.
    assert image.height == layout.top - 3
    if layout.side < int(width * SIDE_SHARE):
        assert width - layout.side - 2 - image.width <= 1
    assert layout.side >= SIDE_WIDTH
    assert height - 2 - layout.top >= BOTTOM_ROWS


def test_the_preview_grows_with_the_terminal() -> None:
    sizes = [(120, 36), (160, 48), (240, 70)]
    tops = [wide_layout(size, (1440, 900), CELL).top for size in sizes]
    assert tops == sorted(tops) and len(set(tops)) == 3


def test_a_tall_desktop_gives_its_spare_columns_to_the_left_column() -> None:
    portrait = wide_layout((160, 48), (900, 1440), CELL)
    assert portrait.side > SIDE_WIDTH
    image = image_cells(portrait, (160, 48), (900, 1440))
    assert abs(image_aspect(image.width, image.height) - 900 / 1440) < 0.1
    assert image.height == portrait.top - 3


@pytest.mark.parametrize("size", [(120, 36), (160, 48), (240, 70)])
async def test_on_screen_the_preview_is_the_largest_pane_and_its_image_fills_it(
    size: tuple[int, int], fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, DesktopScreen) and not screen.compact
        preview = screen.query_one(ScreenPreview)
        await wait_for(pilot, lambda: preview.frame is not None, what="a frame")
        await pilot.pause(0.3)
        regions = {pane: screen.query_one(f"#pane-{pane}").region for pane in PANES}
        areas = {pane: region.area for pane, region in regions.items()}
        assert max(areas, key=lambda pane: areas[pane]) == "preview", areas
        # Every pane is on screen, none overlapping, all between the header and footer.
        for pane, region in regions.items():
            assert region.height > 0 and region.width > 0, pane
            assert region.y >= 1 and region.bottom <= size[1] - 1, pane
        # The image fills the pane to within a cell on the side that limits it.
        viewport = preview.query_one("#viewport").region
        frame = preview.query_one("#frame").region
        assert viewport.width - frame.width <= 2 and viewport.height - frame.height <= 1
        assert screen.query_one("#pane-logs").region.height >= 10


async def test_z_zooms_the_preview_to_the_whole_screen_and_back(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert isinstance(screen, DesktopScreen)
        table = screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.row_count == 4, what="rows")
        pane = screen.query_one("#pane-preview")
        before = pane.region
        await pilot.press("z")
        await pilot.pause()
        assert screen.zoomed and pane.region.width == 120
        assert pane.region.y == 1 and pane.region.height == 36 - 2  # header and footer kept
        assert screen.query_one(ScreenPreview).has_focus
        assert table.region.height == 0
        assert screen.query_one(Footer).region.height == 1
        await pilot.press("z")
        await pilot.pause()
        assert not screen.zoomed and pane.region == before and table.region.height > 0
        await pilot.press("z", "1")  # a pane key leaves the zoom for that pane
        await pilot.pause()
        assert not screen.zoomed and table.has_focus and table.region.height > 0


async def test_z_on_a_small_terminal_shows_the_preview_without_tabs(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DesktopScreen) and screen.compact
        await pilot.press("z")
        await pilot.pause()
        pane = screen.query_one("#pane-preview").region
        assert (pane.y, pane.width, pane.height) == (1, 80, 24 - 2)
        assert screen.query_one("#pane-tabs").region.height == 0


async def test_the_preview_pane_has_a_title_and_shows_the_focus(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.screen.query_one("#pane-preview")
        assert pane.border_title == "Preview"
        blurred = pane.styles.border_top
        await pilot.press("2")
        await pilot.pause()
        assert app.screen.query_one(ScreenPreview).has_focus
        assert pane.styles.border_top[1] != blurred[1]  # the accent colour


@pytest.mark.parametrize(("pane", "crowded"), [("1", False), ("4", True)])
async def test_the_footer_never_runs_into_the_palette_hint(
    pane: str, crowded: bool, fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(pane)
        await pilot.pause(0.3)
        footer = app.screen.query_one(KeyFooter)
        assert footer.has_class("-crowded") is crowded
        keys = [c for c in footer.children if not c.has_class("-command-palette")]
        hint = next(c for c in footer.children if c.has_class("-command-palette"))
        if hint.display:
            assert max(k.region.right for k in keys) <= hint.region.x
        await pilot.resize_terminal(200, 40)
        await pilot.pause(0.3)
        assert not footer.has_class("-crowded")


def test_the_theme_follows_the_terminals_colours() -> None:
    assert theme_for("standard") == ANSI_THEME  # TERM=xterm
    assert theme_for(None) == ANSI_THEME
    assert theme_for("256") == DEFAULT_THEME  # TERM=xterm-256color
    assert theme_for("truecolor") == DEFAULT_THEME  # COLORTERM=truecolor
    assert theme_for("standard", no_color=True) == DEFAULT_THEME  # drawn in grey


@pytest.mark.parametrize(
    ("env", "theme"),
    [
        ({"TERM": "xterm"}, ANSI_THEME),
        ({"TERM": "xterm", "COLORTERM": "truecolor"}, DEFAULT_THEME),
        ({"TERM": "xterm-256color"}, DEFAULT_THEME),
        ({"TERM": "xterm", "NO_COLOR": "1"}, DEFAULT_THEME),
    ],
)
async def test_the_app_picks_the_theme_from_the_environment(
    env: dict[str, str],
    theme: str,
    fake_desktop: StatefulDesktop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TERM", "COLORTERM", "NO_COLOR", "TEXTUAL_COLOR_SYSTEM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)):
        assert app.theme == theme


def test_the_terminals_own_answer_raises_the_colours_never_lowers_them() -> None:
    assert colour_system("standard", "kitty") == "truecolor"  # TERM=xterm in a kitty
    assert colour_system("standard", "xterm") == "truecolor"  # XTerm(379)
    assert colour_system("256", "kitty") == "truecolor"
    assert colour_system("truecolor", "wezterm") == "truecolor"
    assert colour_system("standard", "") == "standard"  # no answer
    assert colour_system("standard", "tmux") == "standard"  # tmux: the outer terminal's
    assert colour_system(None, "kitty") is None  # TERM=dumb


async def test_a_kitty_that_says_term_xterm_gets_true_colour(
    fake_desktop: StatefulDesktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("COLORTERM", "NO_COLOR", "TEXTUAL_COLOR_SYSTEM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    answers = TerminalAnswers(name="kitty", version=(0, 26, 5), answered=True)
    monkeypatch.setattr(graphics, "_answers", answers)
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)):
        assert app.console.color_system == "truecolor"
        assert app.theme == DEFAULT_THEME
