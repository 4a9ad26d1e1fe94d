"""SixelFrame: the preview in Sixel (xterm -ti vt340, mlterm, foot, WezTerm, ...).

The frame is cut into bands of whole rows of cells, each its own Sixel image, encoded by
Chafa in the decoding thread with the fixed 256-colour palette on one of Chafa's threads
(a palette made per image took 11-20 ms, textual-image's whole frame in pure Python
0.7 s), and only when its pixels changed: a desktop where little moves sends little. A band
is drawn over the old one, never after a clear
(:class:`~tui.widgets.graphics_frame.GraphicsFrame`), and only the bands that changed are
repainted.

Sixel paints six pixel rows at a time and Chafa cuts an image's height down to a multiple
of six, so a band is a multiple of six pixels tall: with 20-pixel cells, three rows at
least. Each Chafa call also costs about 0.2 ms whatever its size, so a band is about 100
pixels tall: at 99x31 cells of 10x20, 6 bands of 6 rows and one of 1 take 10.8 ms where 31
images of one row (each 24 pixels tall, over the next row's top) took 19.5 ms and sent a
fifth more.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import ClassVar

from PIL import Image as PILImage
from textual.geometry import Region

from tui.chafa_canvas import ChafaCanvas
from tui.frames import PixelNeeds
from tui.widgets.graphics_frame import GraphicsFrame
from tui.widgets.image_frame import ImageFrame

__all__ = ["SixelBands", "SixelFrame", "band_rows", "sixel_bands"]

BAND_PIXELS = 96
"""A band's height in pixels, at least (see the module's docstring)."""

_canvases: dict[tuple[int, tuple[int, int]], ChafaCanvas] = {}
_previous: tuple[tuple[int, int, int], bytes, list[str]] | None = None
"""The last frame :func:`sixel_bands` made: its geometry (width, height, band), pixels and
images."""
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class SixelBands:
    """A frame as one Sixel image per band of ``rows`` rows of cells (the last band may
    have fewer). Equal images draw the same: a band whose image equals the one on show
    need not be drawn again."""

    rows: int
    images: list[str]


def band_rows(cell_height: int) -> int:
    """Rows of cells in a band: the fewest that make a multiple of six pixels and at least
    :data:`BAND_PIXELS`."""
    step = 6 // math.gcd(cell_height, 6)
    return step * max(1, -(-BAND_PIXELS // (step * cell_height)))


def sixel_bands(image: PILImage.Image, cells: tuple[int, int], cell: tuple[int, int]) -> SixelBands:
    """``image`` as Sixel images, one per band of rows of ``cells[0]`` cells of ``cell``
    pixels (:func:`band_rows`). A band with the pixels the last call's frame had there is
    not encoded again: its image is the same object (compared where it lies, 0.05 ms a
    frame, where fingerprints of the bands took 1 ms).

    The last band is made a multiple of six pixels tall with transparent pixels, which
    Sixel leaves unpainted. ``image`` is opaque: RGBA as the decoder makes Sixel's frames
    (alpha 255 throughout; Chafa reads it as it is), or any mode to convert first.
    """
    global _previous
    cols, rows = cells
    width, height = cols * cell[0], rows * cell[1]
    per_band = band_rows(cell[1])
    band = per_band * cell[1]
    if image.size != (width, height):  # before RGBA: Pillow resizes RGBA premultiplied
        image = image.resize((width, height), PILImage.Resampling.BILINEAR)
    # Opaque RGBA, as the decoder makes it for Sixel (PixelNeeds.rgba): Chafa's own format.
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    # The frame's pixels once; Chafa reads each band where it lies in them.
    data = rgba.tobytes()
    frame = memoryview(data)
    stride = width * 4
    geometry = (width, height, band)
    out: list[str] = []
    with _lock:
        before = _previous if _previous is not None and _previous[0] == geometry else None
        for index, top in enumerate(range(0, height, band)):
            start, end = top * stride, (top + band) * stride
            if before is not None and before[1].startswith(frame[start:end], start):
                out.append(before[2][index])
                continue
            tall = min(band, height - top)
            if tall % 6:  # the last band: transparent below the frame
                padded = PILImage.new("RGBA", (width, -(-tall // 6) * 6), (0, 0, 0, 0))
                padded.paste(rgba.crop((0, top, width, height)), (0, 0))
                pixels, start, tall = padded.tobytes(), 0, padded.height
            else:
                pixels = data
            canvas = _canvas(cols, (cell[0], tall))
            drawn = canvas.draw_pixels(pixels, (width, tall), "opaque-rgba", start, stride)
            out.append(drawn.decode("ascii"))
        _previous = (geometry, data, out)
    return SixelBands(per_band, out)


def _canvas(cols: int, pixels: tuple[int, int]) -> ChafaCanvas:
    """The Sixel canvas for one image of ``cols`` cells of ``pixels`` (under ``_lock``)."""
    canvas = _canvases.get((cols, pixels))
    if canvas is None:
        if len(_canvases) > 4:
            _canvases.clear()
        canvas = _canvases[(cols, pixels)] = ChafaCanvas(
            "sixel", cols, 1, pixels, fixed_palette=True, threads=1
        )
    return canvas


class SixelFrame(GraphicsFrame):
    """The image as Sixel, a band of rows at a time, each drawn over the one before."""

    MODE: ClassVar[str] = "sixel"

    @classmethod
    def pixel_needs(cls, cell: tuple[int, int]) -> PixelNeeds:
        return replace(super().pixel_needs(cell), rgba=True, grows=True)

    @classmethod
    def encode(
        cls, image: PILImage.Image, cells: tuple[int, int], cell: tuple[int, int]
    ) -> SixelBands:
        return sixel_bands(image, cells, cell)

    def show_image(
        self,
        image: PILImage.Image,
        cells: tuple[int, int] | None = None,
        encoded: SixelBands | None = None,
    ) -> None:
        old = self.encoded
        cells, encoded = self.settle(image, cells, encoded)
        if not isinstance(old, SixelBands) or cells != self.cells or old.rows != encoded.rows:
            ImageFrame.show_image(self, image, cells, encoded)
            return
        self.image, self.encoded = image, encoded
        # The band's first line, which carries its image; under a toast, its every line, so
        # the toast is written again after the band's pixels, not left under them (a toast
        # that comes is seen within TOAST_CHECK). Fewer lines, less for Textual to write:
        # 2-3 % of a core less in live mode.
        lines = encoded.rows if self._toasted else 1
        for index, drawn in enumerate(encoded.images):
            if index >= len(old.images) or old.images[index] != drawn:
                self.refresh(Region(0, index * encoded.rows, cells[0], lines))

    def band_sequence(self, row: int) -> tuple[int, str]:
        encoded = self.encoded
        if isinstance(encoded, SixelBands):
            index = row // encoded.rows
            if 0 <= index < len(encoded.images):
                return index * encoded.rows, encoded.images[index]
        return row, ""

    def image_sequence(self, region: Region) -> str:
        return ""
