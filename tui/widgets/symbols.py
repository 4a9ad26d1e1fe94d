"""SymbolsFrame: the preview in Unicode mosaics with colour, for terminals without graphics.

Chafa (:mod:`tui.chafa_canvas`) picks for each cell the symbol (a block, quadrant, half or
eighth block or box line) and the two colours that match its pixels best,
so edges and text of the desktop keep a shape that half-cells blur. The rows are built in
the decoding thread; a new frame repaints only the rows that changed.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import ClassVar, Final

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

_RUN = re.compile(rb"((?:\x1b\[[0-9;]*m)*)([^\x1b\n]*)")
_KEEP: Final = -2
"""In an SGR change: this colour stays as it was."""
_DEFAULT: Final = -1
"""A colour of the terminal's own (after a reset)."""
_State = tuple[int, int, bool]
"""The attributes between Chafa's cells: foreground and background (``0xRRGGBB`` or
``_DEFAULT``), inverse."""
_Change = tuple[bool, int, int, bool | None]
"""What SGR sequences do: reset first?, then foreground, background (``_KEEP``: as was),
inverse (``None``: as was)."""
_RESET: Final[_State] = (_DEFAULT, _DEFAULT, False)
_styles: dict[_State, Style] = {}
_changes: dict[bytes, _Change] = {}
_CACHE_LIMIT = 1 << 16
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
        if len(_styles) > _CACHE_LIMIT or len(_changes) > _CACHE_LIMIT:
            _changes.clear()
            _styles.clear()
        keys = text.split(b"\n")[:rows]
        strips = [previous.get(line) or _strip(line, cols) for line in keys]
        _last = (digest, (keys, strips))
    return keys, strips


def _strip(line: bytes, width: int) -> Strip:
    """One row of Chafa's output: cells with SGR sequences only where the colours change
    (Chafa's ``REUSE_ATTRIBUTES``), from the default attributes at the line's start."""
    segments: list[Segment] = []
    fg, bg, reverse = _RESET
    run_style: Style | None = None
    run: list[str] = []
    for params, chars in _RUN.findall(line):
        if params:
            change = _changes.get(params)
            if change is None:
                change = _changes[params] = _change_of(params)
            reset, new_fg, new_bg, new_reverse = change
            if reset:
                fg, bg, reverse = _RESET
            if new_fg != _KEEP:
                fg = new_fg
            if new_bg != _KEEP:
                bg = new_bg
            if new_reverse is not None:
                reverse = new_reverse
        if not chars:
            continue
        state = (fg, bg, reverse)
        style = _styles.get(state)
        if style is None:
            style = _styles[state] = _style_of(state)
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


def _change_of(sgr: bytes) -> _Change:
    """What the SGR sequences ``sgr`` do (24-bit colours, inverse, reset)."""
    params = sgr.replace(b"\x1b[", b"").replace(b"m", b";").strip(b";")
    parts = [int(p) if p else 0 for p in params.split(b";")]
    reset, fg, bg, reverse = False, _KEEP, _KEEP, None
    i = 0
    while i < len(parts):
        code = parts[i]
        if code in (38, 48) and parts[i + 1 : i + 2] == [2] and i + 4 < len(parts):
            color = (parts[i + 2] << 16) | (parts[i + 3] << 8) | parts[i + 4]
            if code == 38:
                fg = color
            else:
                bg = color
            i += 5
            continue
        if code == 0:  # a reset undoes what came before it in the same sequences
            reset, fg, bg, reverse = True, _KEEP, _KEEP, None
        elif code == 7:
            reverse = True
        elif code == 27:
            reverse = False
        elif code == 39:
            fg = _DEFAULT
        elif code == 49:
            bg = _DEFAULT
        i += 1
    return (reset, fg, bg, reverse)


def _style_of(state: _State) -> Style:
    """The style a cell is drawn with in ``state``."""
    fg, bg, reverse = state
    if reverse:
        fg, bg = bg, fg
    return Style(color=_color(fg), bgcolor=_color(bg))


def _color(value: int) -> Color | None:
    if value == _DEFAULT:
        return None
    return Color.from_rgb(value >> 16, (value >> 8) & 0xFF, value & 0xFF)


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
