"""GraphicsFrame: an image drawn with the terminal's own graphics (Sixel, kitty), no blink.

Textual draws text; the image is a sequence written into the output as a control segment,
the way textual-image does it. What differs is the cells under the image: textual-image
writes spaces over them first, and a terminal that shows the output between the spaces and
the image (Sixel: text erases the pixels under it) shows a blank frame. Here the lines
under the image only move the cursor forward (``CSI n C``): the old image stays until the
new one is drawn over it. A frame drawn in bands of rows (Sixel) puts each band's pixels on
the band's first line: Textual repaints only the bands that changed. Text written over the
picture (a notification) erases its pixels there; when the text goes, the lines Textual
repaints under it may not include a band's first line, so the whole picture is drawn again
once the text has gone (looked for every :attr:`GraphicsFrame.TOAST_CHECK` seconds).
Textual wraps each update in synchronized output (mode 2026) where the terminal has it, so
such terminals show the frame only once it is whole.
"""

from __future__ import annotations

import time
import weakref
from typing import ClassVar

from rich.control import Control
from textual import events
from textual.dom import NoScreen
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

from tui.widgets._style import as_is
from tui.widgets.image_frame import ImageFrame

__all__ = ["GraphicsFrame"]


class GraphicsFrame(ImageFrame):
    """Drawn whole (:meth:`image_sequence`, on the first line) or band by band
    (:meth:`band_sequence`, each on its first line); cells are never written over."""

    DENSITY: ClassVar[tuple[int, int] | None] = None

    LIVE_FPS: ClassVar[float] = 20.0
    """A graphics frame costs this process about 2.5 % of a core (the JPEG decoded at the
    terminal's pixels, and Sixel encoded, or the pixels handed to kitty) and the terminal
    as much again to draw: 30 a second took 75-85 % of a core here and half a core of the
    terminal's. 20 a second keeps the motion smooth at half of that."""

    LIVE_CPU_SHARE: ClassVar[float | None] = 0.5
    """Half a core: a big picture (Sixel at 1428x896 pixels, about 40 ms a frame with the
    terminal busy on the same cores) comes less often rather than take a whole core."""

    UNDER_TOASTS: ClassVar[bool] = False
    """The terminal draws the image over text (kitty): while a toast covers part of the
    picture, the picture gives way (:meth:`hidden_sequence`) so the toast can be read, and
    comes back when the toast goes. Sixel's pixels are covered by text instead, and drawn
    again when the toast goes."""

    TOAST_CHECK: ClassVar[float] = 0.2
    """Seconds between two looks for a toast coming or going over the picture: Textual
    paints a new toast's region before the toast has its place, and a picture drawn then
    would stay over it; nor does it repaint a whole band when a toast goes."""

    _toasted = False
    """Whether a toast covered the picture when last looked (painted, or
    :meth:`_check_toasts`)."""

    def _on_mount(self, event: events.Mount) -> None:
        super()._on_mount(event)
        self.set_interval(self.TOAST_CHECK, self._check_toasts)

    def _check_toasts(self) -> None:
        try:
            region = self.screen.find_widget(self).visible_region
        except (NoScreen, Exception):
            return
        toasted = self._under_a_toast(region)
        if toasted != self._toasted:
            self._toasted = toasted
            self.refresh()

    def image_sequence(self, region: Region) -> str:
        """The terminal sequence that draws the current frame with its top-left cell at
        ``region``'s (the cursor is there when it is written)."""
        raise NotImplementedError

    def band_sequence(self, row: int) -> tuple[int, str]:
        """For a frame drawn in bands of rows: the first row of the band ``row`` is in, and
        the sequence that draws that band alone (the cursor at the band's first cell);
        ``(row, "")`` for a frame drawn whole."""
        return row, ""

    def hidden_sequence(self) -> str:
        """What to write when the frame is painted but must not show (another screen is
        on top): nothing for Sixel, which text covers; kitty removes its placement."""
        return ""

    def render_lines(self, crop: Region) -> list[Strip]:
        try:
            active = self.screen.is_active
            region = self.screen.find_widget(self).visible_region
        except (NoScreen, Exception):
            active, region = False, Region()
        if self.UNDER_TOASTS:
            self._toasted = self._under_a_toast(region)
        if (
            self.encoded is None
            or not active
            or region.area == 0
            or (self._toasted and self.UNDER_TOASTS)
        ):
            blank = [Strip.blank(crop.width, self.visual_style.rich_style)] * crop.height
            hidden = self.hidden_sequence()
            if hidden and blank:
                blank[0] = Strip([as_is(hidden), *blank[0]], crop.width)
            return blank
        skip = as_is(f"\x1b[{crop.width}C") if crop.width else None
        lines = []
        for row in range(crop.y, crop.bottom):
            top, drawn = self.band_sequence(row)
            if drawn and top == row:
                y = region.y + row
                drawn = (
                    Control.move_to(region.x, y).segment.text
                    + drawn
                    + Control.move_to(region.x + crop.right, y).segment.text
                )
                lines.append(Strip([as_is(drawn)], crop.width))
            else:
                lines.append(Strip([skip] if skip else [], crop.width))
        whole = self.image_sequence(region) if lines else ""
        if whole:
            # At the start of the first line, where the cursor is back after it: a toast
            # or anything over the picture's right or bottom edge makes Textual cut the
            # lines there, and a sequence at a line's end would be cut with them.
            top = region.y + crop.y
            draw = (
                Control.move_to(region.x, region.y).segment.text
                + whole
                + Control.move_to(region.x + crop.x, top).segment.text
            )
            lines[0] = Strip([as_is(draw), *lines[0]], crop.width)
        return lines

    def _under_a_toast(self, region: Region) -> bool:
        """Whether a toast on this screen covers part of ``region``."""
        return any(toast.overlaps(region) for toast in _toast_regions(self.screen))


_toasts: tuple[weakref.ref[Screen[object]], float, list[Region]] | None = None
"""The screen last looked at, when (``time.monotonic``: a cache, not what the screen
shows, so not the clock tests freeze), and where its toasts were."""


def _toast_regions(screen: Screen[object]) -> list[Region]:
    """Where ``screen``'s toasts are. Every picture looks five times a second (the fleet's
    grid has a dozen); one walk of the screen serves all those of one moment."""
    global _toasts
    now = time.monotonic()
    if _toasts is None or _toasts[0]() is not screen or now - _toasts[1] > 0.05:
        # By type name: Textual does not export its toast widgets.
        regions = [toast.region for toast in screen.query("Toast")]
        _toasts = (weakref.ref(screen), now, regions)
    return _toasts[2]
