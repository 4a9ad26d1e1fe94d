"""HalfcellFrame: the preview's image for terminals without graphics (tmux included), fast."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image as PILImage
from rich.color import Color, ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.strip import Strip
from textual_image.renderable.halfcell import Image as HalfcellRenderable
from textual_image.widget import HalfcellImage

from tui.graphics import set_image_quietly
from tui.widgets._style import as_is, picture_filters

__all__ = ["HalfcellFrame", "HalfcellRows", "HalfcellText", "halfcell_rows", "halfcell_text"]


@dataclass(frozen=True, slots=True)
class HalfcellRows:
    """A frame's lines, made in the decoding thread for a widget of ``size`` cells."""

    size: Size
    keys: list[bytes]
    lines: list[Strip]


@dataclass(frozen=True, slots=True)
class HalfcellText:
    """A live frame's lines as the terminal's own text, colours and blocks, written as they
    are (:func:`halfcell_text`), for a widget of ``size`` cells."""

    size: Size
    keys: list[bytes]
    lines: list[str]


_last: dict[bytes, Strip] = {}
"""The lines :meth:`HalfcellFrame.encode` made last, by their pixels (reused when equal)."""
_last_text: dict[bytes, str] = {}
"""The same for :meth:`HalfcellFrame.encode_text`."""
_lock = threading.Lock()


def _again[Line](
    last: dict[bytes, Line], make: Callable[[dict[bytes, Line]], tuple[list[bytes], list[Line]]]
) -> tuple[list[bytes], list[Line]]:
    """``make`` a frame's keys and lines, given the lines the last frame made (``last``,
    by key) to reuse; ``last`` is then this frame's."""
    with _lock:
        keys, lines = make(dict(last))
        last.clear()
        last.update(zip(keys, lines, strict=True))
    return keys, lines


class HalfcellFrame(HalfcellImage, Renderable=HalfcellRenderable):
    """textual-image's half-cell image, drawn straight into strips.

    Looks the same as :class:`textual_image.widget.HalfcellImage` (a ``▀`` per cell, upper
    pixel as foreground, lower as background; cell for cell equal) and sizes itself the same
    way, but:

    * builds its lines once per image and size, merges runs of equal cells into one segment
      and reuses one style per colour pair; the upstream renderable makes a Rich ``Style``
      per cell on every repaint, about 200 ms for a 112x35-cell pane here;
    * :meth:`show_image` swaps in a frame of the same size without a new layout and
      repaints only the lines that changed, so a desktop where little moves costs little;
    * the preview has the lines made in its decoding thread (:meth:`encode`): at 232x66
      cells they are 22 ms of a frame that the event loop no longer spends;
    * in live mode, the preview has them made as the terminal's own text
      (:meth:`encode_text`, :func:`halfcell_text`), which Textual writes as it is: a
      Rich segment and style for each run of cells, which Textual then turns into that
      text, cost twice as much, and at 232x66 held live mode to 13 frames a second. Only in
      live mode: Textual's screenshots (and snapshots) show no such text.
    """

    _STYLE_CACHE_LIMIT: ClassVar[int] = 1 << 16
    _styles: ClassVar[dict[bytes, Style]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lines: list[Strip] = []
        self._row_keys: list[bytes] = []
        self._lines_for: tuple[object, Size] | None = None
        self._text: list[str] | None = None
        """The lines as the terminal's text, when the frame came as such (live mode)."""

    @classmethod
    def encode(
        cls, image: PILImage.Image, cells: tuple[int, int], cell: tuple[int, int]
    ) -> HalfcellRows:
        """``image``'s lines for a widget of ``cells`` (in a thread: the preview's decoding
        thread); lines whose pixels the last call also had are not made again."""
        keys, lines = _again(_last, lambda reuse: halfcell_rows(image, *cells, cls._styles, reuse))
        return HalfcellRows(Size(*cells), keys, lines)

    @classmethod
    def encode_text(
        cls,
        image: PILImage.Image,
        cells: tuple[int, int],
        cell: tuple[int, int],
        colours: ColorSystem = ColorSystem.TRUECOLOR,
    ) -> HalfcellText:
        """:meth:`encode`, as the terminal's text in ``colours`` (:func:`halfcell_text`)."""
        keys, lines = _again(_last_text, lambda reuse: halfcell_text(image, *cells, colours, reuse))
        return HalfcellText(Size(*cells), keys, lines)

    def show_image(
        self, image: PILImage.Image, encoded: HalfcellRows | HalfcellText | None = None
    ) -> None:
        """Show ``image``; if it has the last one's size, repaint only the changed lines.
        ``encoded``: its lines made beforehand (:meth:`encode`), used if made for this
        widget's size."""
        current, size = self.image, self.content_size
        if (
            not isinstance(current, PILImage.Image)
            or current.size != image.size
            or self._lines_for is None
            or self._lines_for[1] != size
        ):
            self.image = image
            return
        # Same size: textual-image's setter would only add a relayout to this.
        set_image_quietly(self, image)
        if isinstance(encoded, HalfcellText) and encoded.size == size:
            changed = self._take(image, encoded.keys, [], encoded.lines)
        elif isinstance(encoded, HalfcellRows) and encoded.size == size:
            changed = self._take(image, encoded.keys, encoded.lines)
        else:
            changed = self._build(image, size)
        for y in changed:
            self.refresh(Region(0, y, size.width, 1))

    def get_line_filters(self) -> Sequence[LineFilter]:
        return picture_filters(self)

    def render_line(self, y: int) -> Strip:
        image, size = self.image, self.content_size
        if not isinstance(image, PILImage.Image) or size.width <= 0 or size.height <= 0:
            return Strip.blank(self.size.width, self.visual_style.rich_style)
        if self._lines_for is None or (
            self._lines_for[0] is not image or self._lines_for[1] != size
        ):
            self._build(image, size)
        if self._text is not None and 0 <= y < len(self._text):
            return Strip([as_is(self._text[y])], size.width)
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def _build(self, image: PILImage.Image, size: Size) -> list[int]:
        """Make the lines for ``image`` at ``size``; return the rows that differ from before."""
        # Strips to reuse, unless the frame on show came as text (it has none).
        reuse = (
            {} if self._text is not None else dict(zip(self._row_keys, self._lines, strict=True))
        )
        keys, lines = halfcell_rows(image, size.width, size.height, self._styles, reuse)
        return self._take(image, keys, lines)

    def _take(
        self,
        image: PILImage.Image,
        keys: list[bytes],
        lines: list[Strip],
        text: list[str] | None = None,
    ) -> list[int]:
        """Make ``lines`` (of pixels ``keys``), or ``text`` instead, this image's; return
        the rows that changed."""
        old = self._row_keys
        changed = [y for y, key in enumerate(keys) if y >= len(old) or old[y] != key]
        self._row_keys, self._lines, self._lines_for = keys, lines, (image, self.content_size)
        self._text = text
        if len(self._styles) > self._STYLE_CACHE_LIMIT:
            self._styles.clear()
        return changed


def halfcell_rows(
    image: PILImage.Image,
    width: int,
    height: int,
    styles: dict[bytes, Style] | None = None,
    reuse: dict[bytes, Strip] | None = None,
) -> tuple[list[bytes], list[Strip]]:
    """``image`` as ``height`` strips of ``width`` half-block cells (two pixels per cell).

    Returns each row's pixels (its key) and its strip. ``styles`` caches one style per
    (upper, lower) colour pair across calls; ``reuse`` maps keys to strips already built.
    """
    styles = {} if styles is None else styles
    reuse = reuse or {}
    pixels = image.convert("RGB").resize((width, height * 2)).tobytes()
    stride = width * 3
    keys: list[bytes] = []
    strips: list[Strip] = []
    for row in range(height):
        key = pixels[2 * row * stride : (2 * row + 2) * stride]
        keys.append(key)
        strip = reuse.get(key)
        if strip is None:
            strip = _halfcell_strip(key[:stride], key[stride:], width, styles)
        strips.append(strip)
    return keys, strips


def _halfcell_strip(top: bytes, bottom: bytes, width: int, styles: dict[bytes, Style]) -> Strip:
    segments: list[Segment] = []
    run_key = b""
    run = 0
    for x in range(0, width * 3, 3):
        key = top[x : x + 3] + bottom[x : x + 3]
        if key == run_key:
            run += 1
            continue
        if run:
            segments.append(Segment("▀" * run, _pair_style(run_key, styles)))
        run_key, run = key, 1
    if run:
        segments.append(Segment("▀" * run, _pair_style(run_key, styles)))
    return Strip(segments, width)


def _pair_style(key: bytes, styles: dict[bytes, Style]) -> Style:
    style = styles.get(key)
    if style is None:
        style = styles[key] = Style.from_color(
            Color.from_rgb(key[0], key[1], key[2]), Color.from_rgb(key[3], key[4], key[5])
        )
    return style


_RUN = re.compile(rb"(.{6})\1*", re.S)
"""A run of equal cells, each as its upper then its lower pixel (6 bytes)."""

_sgr: dict[ColorSystem, dict[bytes, str]] = {}
"""Each colour pair's escape sequence, by colour system."""


def halfcell_text(
    image: PILImage.Image,
    width: int,
    height: int,
    colours: ColorSystem,
    reuse: dict[bytes, str] | None = None,
) -> tuple[list[bytes], list[str]]:
    """``image`` as ``height`` lines of ``width`` half-block cells, as the terminal's text:
    each run of equal cells its colours (in ``colours``, as Rich would write them) and its
    blocks, each line ending in a reset. Returns each row's pixels (its key) and its line;
    ``reuse`` maps keys to lines already made."""
    reuse = reuse or {}
    codes = _sgr.setdefault(colours, {})
    if len(codes) > HalfcellFrame._STYLE_CACHE_LIMIT:
        codes.clear()
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if rgb.size != (width, height * 2):
        rgb = rgb.resize((width, height * 2))
    keys: list[bytes] = []
    lines: list[str] = []
    for row in range(height):
        # The two pixel rows on their side: each cell's upper and lower pixel side by side.
        pair = rgb.crop((0, 2 * row, width, 2 * row + 2))
        cells = pair.transpose(PILImage.Transpose.TRANSPOSE).tobytes()
        keys.append(cells)
        line = reuse.get(cells)
        if line is None:
            parts: list[str] = []
            for run in _RUN.finditer(cells):
                key = run.group(1)
                sgr = codes.get(key)
                if sgr is None:
                    sgr = codes[key] = _pair_sgr(key, colours)
                start, end = run.span()
                parts.append(sgr)
                parts.append("▀" * ((end - start) // 6))
            parts.append("\x1b[0m")
            line = "".join(parts)
        lines.append(line)
    return keys, lines


def _pair_sgr(key: bytes, colours: ColorSystem) -> str:
    upper = Color.from_rgb(key[0], key[1], key[2]).downgrade(colours)
    lower = Color.from_rgb(key[3], key[4], key[5]).downgrade(colours)
    codes = (*upper.get_ansi_codes(foreground=True), *lower.get_ansi_codes(foreground=False))
    return f"\x1b[{';'.join(codes)}m"
