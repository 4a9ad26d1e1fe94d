"""Choosing the image widget that draws the preview, and what it needs of a frame.

textual-image picks a renderer for the terminal when it is first imported (this module
imports it): Kitty or Sixel where the terminal speaks them, else half-cell. Its half-cell
widget is swapped for our faster :class:`~tui.widgets.halfcell.HalfcellFrame`. The
preview's other renderers are registered here.
"""

from __future__ import annotations

from textual.widget import Widget
from textual_image.renderable.halfcell import Image as HalfcellRenderable
from textual_image.renderable.unicode import Image as UnicodeRenderable
from textual_image.widget import Image as AutoImage

from tui.graphics import cell_size, renderable_of
from tui.widgets.halfcell import HalfcellFrame

__all__ = ["default_renderer", "renderer_density"]


def default_renderer() -> type[Widget]:
    """The image widget for this terminal: textual-image's choice, its half-cell made fast."""
    if renderable_of(AutoImage) is HalfcellRenderable:
        return HalfcellFrame
    return AutoImage


def renderer_density(renderer: type[Widget]) -> tuple[int, int]:
    """Image pixels per cell that ``renderer`` draws (see :func:`tui.frames.decode_frame`)."""
    renderable = renderable_of(renderer)
    if renderable is HalfcellRenderable:
        return (1, 2)
    if renderable is UnicodeRenderable:
        return (1, 1)
    return cell_size()
