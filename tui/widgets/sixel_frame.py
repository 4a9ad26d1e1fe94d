"""SixelFrame: the preview in Sixel (xterm -ti vt340, mlterm, foot, WezTerm, ...).

Each row of cells is its own Sixel image, encoded by Chafa in the decoding thread with the
fixed 256-colour palette on one of Chafa's threads (0.3 ms a row of 640x17 pixels, three
times that on two threads; a palette made per row took 11-20 ms, textual-image's whole
frame in pure Python 0.7 s), and only when its pixels
changed: a desktop where little moves sends little. A row is drawn over the old one, never
after a clear (:class:`~tui.widgets.graphics_frame.GraphicsFrame`), and only the rows that
changed are repainted.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import ClassVar

from PIL import Image as PILImage
from textual.geometry import Region

from tui.chafa_canvas import ChafaCanvas
from tui.widgets.graphics_frame import GraphicsFrame
from tui.widgets.image_frame import ImageFrame

__all__ = ["SixelFrame", "SixelRows", "sixel_rows"]

_canvases: dict[tuple[int, tuple[int, int]], ChafaCanvas] = {}
_last: dict[bytes, str] = {}
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class SixelRows:
    """A frame as one Sixel image per row of cells; equal keys draw the same pixels."""

    keys: list[bytes]
    rows: list[str]


def sixel_rows(image: PILImage.Image, cells: tuple[int, int], cell: tuple[int, int]) -> SixelRows:
    """``image`` as ``cells[1]`` Sixel images, one per row of ``cells[0]`` cells of ``cell``
    pixels. Rows whose pixels the last call also had are not encoded again.

    Sixel draws six pixel rows at a time, so a cell height that is no multiple of six would
    leave the old frame's last pixel rows under each row. Each row's image is therefore
    made a multiple of six tall with the top of the next row (the same frame's pixels: that
    row draws them again itself) and, below the last row, transparent pixels, which Sixel
    leaves unpainted. A row's key covers those extra pixels too.
    """
    cols, rows = cells
    width, height = cols * cell[0], rows * cell[1]
    band = -(-cell[1] // 6) * 6
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if rgb.size != (width, height):
        rgb = rgb.resize((width, height), PILImage.Resampling.BILINEAR)
    keys: list[bytes] = []
    out: list[str] = []
    with _lock:
        canvas = _canvases.get((cols, (cell[0], band)))
        if canvas is None:
            if len(_canvases) > 4:
                _canvases.clear()
            canvas = _canvases[(cols, (cell[0], band))] = ChafaCanvas(
                "sixel", cols, 1, (cell[0], band), fixed_palette=True, threads=1
            )
        seen = dict(_last)
        _last.clear()
        for row in range(rows):
            top = row * cell[1]
            if top + band <= height:
                part = rgb.crop((0, top, width, top + band))
            else:  # the last row: transparent below the frame
                part = PILImage.new("RGBA", (width, band), (0, 0, 0, 0))
                part.paste(rgb.crop((0, top, width, height)), (0, 0))
            # SHA-1 only as a fingerprint of the pixels: twice as fast here as BLAKE2b.
            pixels = part.tobytes()
            digest = hashlib.sha1(b"%d:" % cols, usedforsecurity=False)
            digest.update(pixels)
            key = digest.digest()
            data = seen.get(key) or _last.get(key)
            if data is None:
                data = canvas.draw(part, pixels).decode("ascii")
            _last[key] = data
            keys.append(key)
            out.append(data)
    return SixelRows(keys, out)


class SixelFrame(GraphicsFrame):
    """The image as Sixel, a row of cells at a time, each drawn over the one before."""

    MODE: ClassVar[str] = "sixel"

    @classmethod
    def encode(
        cls, image: PILImage.Image, cells: tuple[int, int], cell: tuple[int, int]
    ) -> SixelRows:
        return sixel_rows(image, cells, cell)

    def show_image(
        self,
        image: PILImage.Image,
        cells: tuple[int, int] | None = None,
        encoded: SixelRows | None = None,
    ) -> None:
        old = self.encoded
        cells, encoded = self.settle(image, cells, encoded)
        if not isinstance(old, SixelRows) or cells != self.cells:
            ImageFrame.show_image(self, image, cells, encoded)
            return
        self.image, self.encoded = image, encoded
        for y, key in enumerate(encoded.keys):
            if y >= len(old.keys) or old.keys[y] != key:
                self.refresh(Region(0, y, cells[0], 1))

    def row_sequence(self, row: int) -> str:
        encoded = self.encoded
        if isinstance(encoded, SixelRows) and 0 <= row < len(encoded.rows):
            return encoded.rows[row]
        return ""

    def image_sequence(self, region: Region) -> str:
        return ""
