"""ImageFrame: the base of the preview's own image widgets (symbols, Sixel, kitty).

A frame widget is given each image with the cells it covers and, made beforehand in the
preview's decoding thread, what it draws from (:meth:`ImageFrame.encode`: Chafa's
symbols, a Sixel or kitty graphics sequence). On the event loop it only swaps that in and
asks for a repaint: no encoding where it would block the app. Its size in cells is the one
given, so a frame of the same size swaps in without a new layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from PIL import Image as PILImage
from textual.filter import LineFilter
from textual.geometry import Size
from textual.widget import Widget

from tui.frames import PixelNeeds
from tui.graphics import cell_size
from tui.widgets._style import picture_filters

__all__ = ["ImageFrame"]


class ImageFrame(Widget):
    """An image shown as ``cells`` (columns, rows), drawn from what :meth:`encode` made."""

    DEFAULT_CSS = """
    ImageFrame {
        width: auto;
        height: auto;
    }
    """

    DENSITY: ClassVar[tuple[int, int] | None] = None
    """Image pixels per cell the frame wants; ``None``: the terminal cell's pixels."""

    MODE: ClassVar[str] = ""
    """The ``graphics`` mode this frame draws (``symbols``, ``sixel``, ``kitty``)."""

    LIVE_FPS: ClassVar[float] = 30.0
    """Frames a second at most in live mode (the next is asked for as one is shown)."""

    LIVE_CPU_SHARE: ClassVar[float | None] = 1.0
    """The share of one core live mode keeps the app within, with fewer frames where they
    cost more (:mod:`tui.cpu_pace`); ``None``: :attr:`LIVE_FPS` whatever they cost. Text
    frames: a whole core (a 240x70 pane of half-cells costs about 45 ms a frame, most of
    it Python on the event loop and in the decoding thread: they are smooth only near
    full pace)."""

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.image: PILImage.Image | None = None
        self.cells: tuple[int, int] = (0, 0)
        self.encoded: Any = None

    @classmethod
    def pixel_needs(cls, cell: tuple[int, int]) -> PixelNeeds:
        """What this frame needs of a frame's pixels with a terminal cell of ``cell``
        pixels: :attr:`DENSITY` (or the cell's pixels) dots a cell, exactly at its cells."""
        return PixelNeeds(cls.DENSITY or cell, exact=True)

    @classmethod
    def encode(cls, image: PILImage.Image, cells: tuple[int, int], cell: tuple[int, int]) -> Any:
        """What to draw ``image`` from at ``cells`` with a terminal cell of ``cell`` pixels.

        Called in a thread (it may take tens of milliseconds); raises ``OSError`` or
        ``ValueError`` for an image that cannot be drawn.
        """
        raise NotImplementedError

    def show_image(
        self, image: PILImage.Image, cells: tuple[int, int] | None = None, encoded: Any = None
    ) -> None:
        """Show ``image`` at ``cells``, drawn from ``encoded`` (made by :meth:`encode`).

        Without them (a caller that has only the image), the cells follow from the image's
        size and :attr:`DENSITY`, and the frame is encoded here, on the event loop.
        """
        cells, encoded = self.settle(image, cells, encoded)
        resized = cells != self.cells
        self.image, self.cells, self.encoded = image, cells, encoded
        self.swap(resized)
        self.refresh(layout=resized)

    def settle(
        self, image: PILImage.Image, cells: tuple[int, int] | None, encoded: Any
    ) -> tuple[tuple[int, int], Any]:
        """``cells`` and ``encoded``, made from ``image`` where not given."""
        cell = cell_size()
        if cells is None:
            per = self.DENSITY or cell
            cells = (max(1, round(image.width / per[0])), max(1, round(image.height / per[1])))
        if encoded is None:
            encoded = self.encode(image, cells, cell)
        return cells, encoded

    def swap(self, resized: bool) -> None:
        """A new frame is in ``encoded``: get ready to paint it (before the repaint)."""

    def get_line_filters(self) -> Sequence[LineFilter]:
        return picture_filters(self)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.cells[0]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.cells[1]
