"""SymbolsFrame: the preview in Unicode mosaics with colour, for terminals without graphics.

Chafa (:mod:`tui.chafa_canvas`) picks for each cell the symbol (a block, quadrant, half or
eighth block, box line or braille pattern) and the two colours that match its pixels best,
so edges and text of the desktop keep a shape that half-cells blur. The rows are built in
the decoding thread; a new frame repaints only the rows that changed.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import ClassVar

from PIL import Image as PILImage
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip

from tui.chafa_canvas import ChafaCanvas
from tui.widgets.image_frame import ImageFrame

__all__ = ["SymbolRows", "SymbolsFrame", "symbol_rows"]

SymbolRows = tuple[list[bytes], list[Strip]]
"""Each row's key (its text from Chafa: equal keys draw the same) and its strip."""

_CELL = re.compile(rb"((?:\x1b\[[0-9;]*m)+)([^\x1b\n]*)")
_styles: dict[bytes, Style] = {}
_STYLE_CACHE_LIMIT = 1 << 16
_canvases: dict[tuple[int, int], ChafaCanvas] = {}
_lock = threading.Lock()
_last: tuple[bytes, SymbolRows] | None = None


def symbol_rows(image: PILImage.Image, cells: tuple[int, int]) -> SymbolRows:
    """``image`` as ``cells`` (columns, rows) of Chafa's symbols: keys and strips.

    The same pixels as the last call give its rows back without asking Chafa (a desktop
    where nothing moves costs a hash); rows Chafa writes as before keep their strips.
    """
    global _last
    cols, rows = cells
    pixels = image.tobytes()
    digest = hashlib.blake2b(pixels, digest_size=16, person=b"%dx%d" % cells).digest()
    with _lock:
        if _last is not None and _last[0] == digest:
            return _last[1]
        canvas = _canvases.get(cells)
        if canvas is None:
            if len(_canvases) > 4:
                _canvases.clear()
            canvas = _canvases[cells] = ChafaCanvas("symbols", cols, rows)
        text = canvas.draw(image)
        previous = dict(zip(*_last[1], strict=True)) if _last is not None else {}
        if len(_styles) > _STYLE_CACHE_LIMIT:
            _styles.clear()
        keys = text.split(b"\n")[:rows]
        strips = [previous.get(line) or _strip(line, cols) for line in keys]
        _last = (digest, (keys, strips))
    return keys, strips


def _strip(line: bytes, width: int) -> Strip:
    """One row of Chafa's output (every cell ``ESC[0m ESC[<colours>m <symbol>``, or
    ``ESC[0m ESC[7m ESC[38;2;...m`` for a cell in one colour)."""
    segments: list[Segment] = []
    run_style: Style | None = None
    run: list[str] = []
    for params, chars in _CELL.findall(line):
        if not chars:
            continue
        style = _styles.get(params)
        if style is None:
            style = _styles[params] = _style_of(params)
        text = chars.decode("utf-8", "replace")
        if style is run_style:
            run.append(text)
            continue
        if run:
            segments.append(Segment("".join(run), run_style))
        run_style, run = style, [text]
    if run:
        segments.append(Segment("".join(run), run_style))
    return Strip(segments, width)


def _style_of(sgr: bytes) -> Style:
    """The style of the SGR sequences Chafa writes before a cell (24-bit colours, maybe
    inverse), from a reset."""
    params = sgr.replace(b"\x1b[", b"").replace(b"m", b";").strip(b";")
    parts = [int(p) if p else 0 for p in params.split(b";")]
    fg: Color | None = None
    bg: Color | None = None
    reverse = False
    i = 0
    while i < len(parts):
        code = parts[i]
        if code in (38, 48) and i + 4 < len(parts) + 1 and parts[i + 1 : i + 2] == [2]:
            color = Color.from_rgb(*parts[i + 2 : i + 5])
            if code == 38:
                fg = color
            else:
                bg = color
            i += 5
            continue
        if code == 7:
            reverse = True
        elif code == 0:
            fg = bg = None
            reverse = False
        i += 1
    if reverse:
        fg, bg = bg, fg
    return Style(color=fg, bgcolor=bg)


class SymbolsFrame(ImageFrame):
    """The image in Chafa's symbols; a new frame repaints only the rows that changed."""

    DENSITY: ClassVar[tuple[int, int] | None] = (4, 8)
    """Chafa looks at 8x8 pixels a cell; 4x8 (half the decoding) measured as sharp."""
    MODE: ClassVar[str] = "symbols"

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._keys: list[bytes] = []
        self._strips: list[Strip] = []
        self._changed: list[int] | None = None

    @classmethod
    def encode(
        cls, image: PILImage.Image, cells: tuple[int, int], cell: tuple[int, int]
    ) -> SymbolRows:
        return symbol_rows(image, cells)

    def show_image(
        self,
        image: PILImage.Image,
        cells: tuple[int, int] | None = None,
        encoded: SymbolRows | None = None,
    ) -> None:
        cells, encoded = self.settle(image, cells, encoded)
        if cells != self.cells or not self._strips:
            super().show_image(image, cells, encoded)
            return
        self.image, self.encoded = image, encoded
        keys, strips = encoded
        old = self._keys
        changed = [y for y, key in enumerate(keys) if y >= len(old) or old[y] != key]
        self._keys, self._strips = keys, strips
        for y in changed:
            self.refresh(Region(0, y, cells[0], 1))

    def swap(self, resized: bool) -> None:
        self._keys, self._strips = self.encoded

    def render_line(self, y: int) -> Strip:
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)
