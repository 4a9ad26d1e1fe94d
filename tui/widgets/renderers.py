"""Choosing the image widget that draws the preview, and what it needs of a frame.

The ``graphics`` setting (``--graphics``, ``LEAP0_GRAPHICS``, config ``graphics``) and the
terminal's answers at start-up (:func:`tui.graphics.terminal_answers`) give a drawing mode
(:func:`tui.terminal_probe.choose_mode`); each mode has its widget:

* ``kitty``: :class:`~tui.widgets.kitty_frame.KittyFrame` (direct placement, any kitty);
* ``sixel``: :class:`~tui.widgets.sixel_frame.SixelFrame`;
* ``symbols``: :class:`~tui.widgets.symbols.SymbolsFrame` (Chafa's mosaics in colour);
* ``halfcell``: :class:`~tui.widgets.halfcell.HalfcellFrame` (two pixels a cell, cheapest).

Tests may still pass a textual-image widget class (``HalfcellImage``, ``UnicodeImage``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PIL import Image as PILImage
from rich.color import ColorSystem
from textual.widget import Widget
from textual_image.renderable.halfcell import Image as HalfcellRenderable
from textual_image.renderable.unicode import Image as UnicodeRenderable

from tui import chafa_canvas
from tui.frames import Encoder, PixelNeeds
from tui.graphics import cell_size, renderable_of, terminal_answers
from tui.terminal_probe import DrawMode, choose_mode
from tui.widgets.halfcell import HalfcellFrame
from tui.widgets.image_frame import ImageFrame
from tui.widgets.kitty_frame import KittyFrame
from tui.widgets.sixel_frame import SixelFrame
from tui.widgets.symbols import SymbolsFrame

__all__ = [
    "encoder_of",
    "live_cpu_share",
    "live_fps",
    "live_renderer",
    "mode_of",
    "pixel_needs",
    "renderer_for",
    "resolve_mode",
    "show_on",
]

_RENDERERS: dict[DrawMode, type[Widget]] = {
    "kitty": KittyFrame,
    "sixel": SixelFrame,
    "symbols": SymbolsFrame,
    "halfcell": HalfcellFrame,
}


def resolve_mode(setting: str) -> DrawMode:
    """The mode ``setting`` draws with on this terminal (``auto`` asks its answers)."""
    return choose_mode(setting, terminal_answers(), symbols_available=chafa_canvas.available())


def renderer_for(setting: str) -> type[Widget]:
    """The image widget class for the ``graphics`` setting on this terminal."""
    return _RENDERERS[resolve_mode(setting)]


_LIVE: dict[type[Widget], type[Widget]] = {SymbolsFrame: HalfcellFrame}
"""Stand-ins in live mode where measurement says the renderer is too slow for it."""

LIVE_SYMBOLS_MAX_CELLS = 6000
"""The largest pane (in cells) symbols draw in live mode. Measured with a desktop whose
text scrolls (``benchmarks/tui_preview.py``): at 120x36 symbols 24 frames/s, half-cells
29; at 240x70 symbols 6.5, half-cells 15."""


def live_renderer(renderer: type[Widget], cells: int) -> type[Widget]:
    """What draws in live mode for ``renderer`` in a pane of ``cells`` cells: itself,
    unless it is too slow there."""
    if cells <= LIVE_SYMBOLS_MAX_CELLS:
        return renderer
    return _LIVE.get(renderer, renderer)


def live_fps(renderer: type[Widget]) -> float:
    """Frames a second at most in live mode for ``renderer`` (textual-image's widgets: as
    the preview's own text renderers)."""
    if issubclass(renderer, ImageFrame):
        return renderer.LIVE_FPS
    return ImageFrame.LIVE_FPS


def live_cpu_share(renderer: type[Widget]) -> float | None:
    """The share of one core live mode keeps the app within for ``renderer`` (``None``:
    none)."""
    if issubclass(renderer, ImageFrame):
        return renderer.LIVE_CPU_SHARE
    return ImageFrame.LIVE_CPU_SHARE


def mode_of(renderer: type[Widget]) -> str:
    """The mode a widget class draws (``halfcell`` for textual-image's half-cells)."""
    if issubclass(renderer, ImageFrame):
        return renderer.MODE
    if renderable_of(renderer) is HalfcellRenderable:
        return "halfcell"
    return renderer.__name__


def pixel_needs(renderer: type[Widget]) -> PixelNeeds:
    """What ``renderer`` needs of a frame's pixels (see :func:`tui.frames.frame_pixels`)."""
    if issubclass(renderer, ImageFrame):
        return renderer.pixel_needs(cell_size())
    renderable = renderable_of(renderer)
    if renderable is HalfcellRenderable:
        return PixelNeeds((1, 2))
    if renderable is UnicodeRenderable:
        return PixelNeeds((1, 1))
    return PixelNeeds(cell_size())


def encoder_of(renderer: type[Widget], text: ColorSystem | None = None) -> Encoder | None:
    """What makes ``renderer``'s frames in a decoding thread, if anything (the preview's
    own frames and half-cells' lines; textual-image's widgets draw from the image itself).
    ``text``: half-cells' lines as the terminal's text in those colours (live mode)."""
    if issubclass(renderer, HalfcellFrame) and text is not None:
        return partial(renderer.encode_text, colours=text)
    if issubclass(renderer, (ImageFrame, HalfcellFrame)):
        return renderer.encode
    return None


def show_on(
    widget: Widget, image: PILImage.Image, cells: tuple[int, int] | None, encoded: Any
) -> None:
    """Show ``image`` on an image widget of any renderer: a preview frame with the ``cells``
    and ``encoded`` made in the decoding thread (:func:`encoder_of`), a textual-image
    widget from the image alone."""
    if isinstance(widget, ImageFrame):
        widget.show_image(image, cells if encoded is not None else None, encoded)
        return
    if isinstance(widget, HalfcellFrame):
        widget.show_image(image, encoded)
        return
    show = getattr(widget, "show_image", None)
    if show is not None:
        show(image)
    else:
        widget.image = image  # type: ignore[attr-defined]
