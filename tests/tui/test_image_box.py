"""Where each renderer draws the picture in the preview (ScreenPreview.image_box), which
control mode maps the mouse through: checked against what the text renderers really
paint, and against the cells the graphics renderers place their image over."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from rich.color import Color
from rich.segment import Segment
from textual.geometry import Region
from textual.widget import Widget
from textual_image.widget import HalfcellImage

from core.config import Settings
from core.desktop import AsyncDesktopClient
from core.transport import AsyncTransport
from tests.tui.conftest import WidgetApp, wait_for
from tests.tui.fake_desktop import TOKEN, StatefulDesktop, _screen_image
from tui.control import ImageBox
from tui.frames import draw_pointer
from tui.graphics import cell_size
from tui.widgets.halfcell import HalfcellFrame
from tui.widgets.kitty_frame import KittyFrame
from tui.widgets.screen_preview import ScreenPreview
from tui.widgets.sixel_frame import SixelBands, SixelFrame
from tui.widgets.symbols import SymbolsFrame

SCREEN = _screen_image()
"""What the fake desktop shows (1440x900): a dark background, a light window."""


def _cell_colours(strip_segments: list[Segment], x: int) -> list[tuple[int, int, int]]:
    """The colours (foreground and background) of cell ``x`` in a painted line."""
    at = 0
    for segment in strip_segments:
        width = segment.cell_length
        if at <= x < at + width and segment.style is not None:
            colours = [segment.style.color, segment.style.bgcolor]
            return [tuple(c.get_truecolor()) for c in colours if isinstance(c, Color)]
        at += width
    return []


def _uniform(point: tuple[int, int], radius: int = 40) -> tuple[int, int, int] | None:
    """The desktop's colour around ``point`` if it is the same all around, else ``None``."""
    x, y = point
    area = SCREEN.crop((max(0, x - radius), max(0, y - radius), x + radius, y + radius))
    colours = area.getcolors(1)
    return colours[0][1] if colours else None  # type: ignore[return-value]


async def _preview_with(
    renderer: type[Widget], fake_desktop: StatefulDesktop, tmp_path: Path, size: tuple[int, int]
):  # type: ignore[no-untyped-def]
    client = AsyncDesktopClient(AsyncTransport(api_key=TOKEN))
    settings = Settings(download_dir=tmp_path, preview_interval=60)
    preview = ScreenPreview(client, fake_desktop.url, settings, renderer=renderer, id="preview")
    return client, preview, WidgetApp(preview)


@pytest.mark.parametrize("renderer", [HalfcellFrame, HalfcellImage, SymbolsFrame])
@pytest.mark.parametrize("size", [(80, 24), (100, 50)])
async def test_text_renderers_paint_the_desktop_pixel_image_box_maps_each_cell_to(
    fake_desktop: StatefulDesktop, tmp_path: Path, renderer: type[Widget], size: tuple[int, int]
) -> None:
    client, preview, app = await _preview_with(renderer, fake_desktop, tmp_path, size)
    async with client, app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: preview.image_box() is not None, what="a frame")
        await pilot.pause(0.2)
        box = preview.image_box()
        assert box is not None
        widget = preview.query_one("#frame")
        region = widget.content_region
        lines = widget.render_lines(Region(0, 0, region.width, region.height))
        checked = 0
        for row in range(region.height):
            segments = list(lines[row])
            for col in range(region.width):
                # The cell in preview coordinates, through the box, to a desktop pixel.
                point = box.desktop_point(
                    region.x - preview.region.x + col + 0.5, region.y - preview.region.y + row + 0.5
                )
                assert point is not None
                expected = _uniform(point)
                if expected is None:
                    continue
                colours = _cell_colours(segments, col)
                assert colours, (row, col)
                distance = min(
                    sum(abs(a - b) for a, b in zip(c, expected, strict=True)) for c in colours
                )
                assert distance < 60, (row, col, point, expected, colours)
                checked += 1
        assert checked > region.area // 4
        # Just outside the box is off the picture.
        assert box.desktop_point(box.left - 0.01, box.top + 1) is None
        assert box.desktop_point(box.left + 1, box.top + box.height + 0.01) is None


@pytest.mark.parametrize("renderer", [SixelFrame, KittyFrame])
async def test_graphics_renderers_place_the_image_over_exactly_the_box(
    fake_desktop: StatefulDesktop, tmp_path: Path, renderer: type[Widget]
) -> None:
    """Sixel bands are ``cells`` wide and whole rows of cells tall; kitty places
    the image over ``c=`` columns and ``r=`` rows from the box's top left."""
    client, preview, app = await _preview_with(renderer, fake_desktop, tmp_path, (100, 40))
    async with client, app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: preview.image_box() is not None, what="a frame")
        box = preview.image_box()
        assert box is not None
        widget = preview.query_one("#frame")
        cols, rows = widget.cells  # type: ignore[attr-defined]
        assert (box.width, box.height) == (cols, rows)
        assert (box.left, box.top) == (
            widget.content_region.x - preview.region.x,
            widget.content_region.y - preview.region.y,
        )
        assert abs(cols * cell_size()[0] / (rows * cell_size()[1]) - 1440 / 900) < 0.1
        encoded = widget.encoded  # type: ignore[attr-defined]
        if isinstance(encoded, SixelBands):
            assert len(encoded.images) == -(-rows // encoded.rows)
            raster = re.search(r'"1;1;(\d+);(\d+)', encoded.images[0])
            assert raster is not None and int(raster.group(1)) == cols * cell_size()[0]
        else:
            sequence = widget.image_sequence(widget.content_region)  # type: ignore[attr-defined]
            assert f"c={cols},r={rows}" in sequence


def test_the_pointer_mark_is_drawn_where_the_pointer_is() -> None:
    image = Image.new("RGB", (144, 90), (0, 0, 200))
    draw_pointer(image, (1440, 900), (720, 450), (36, 11))
    assert image.getpixel((72, 45)) == (255, 230, 0)
    assert image.getpixel((10, 10)) == (0, 0, 200)
    box = ImageBox(0, 0, 36, 11, 1440, 900)
    assert box.cell_of(720, 450) == (18.0, 5.5)
