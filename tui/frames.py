"""Screen frames without a screen: sizing a capture to the pane, decoding it, saving a PNG.

No Textual widget code and no network: the preview (:mod:`tui.widgets.screen_preview`)
fetches, this module does the pixel work, in a thread where it blocks.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image as PILImage
from PIL import ImageDraw
from textual.geometry import Size

from tui.files import save_new
from tui.jpeg import decode_jpeg, is_jpeg

__all__ = [
    "Encoder",
    "Frame",
    "PixelNeeds",
    "decode_frame",
    "draw_pointer",
    "fit_cells",
    "frame_pixels",
    "prepare_frame",
    "save_png",
]

Encoder = Callable[[PILImage.Image, tuple[int, int], tuple[int, int]], Any]
"""Makes what a frame widget draws from: ``(image, cells, cell) -> encoded``."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured screen: the shrunk image to draw and what it was made from.

    ``width`` and ``height`` are the desktop's resolution in pixels; ``captured_at`` is the
    wall-clock time (seconds since the epoch) the frame arrived; ``latency`` the seconds
    from asking to having a decoded image.
    """

    image: PILImage.Image
    width: int
    height: int
    captured_at: float
    latency: float = 0.0


@dataclass(frozen=True, slots=True)
class PixelNeeds:
    """What a renderer needs of a frame's pixels (:func:`frame_pixels`)."""

    density: tuple[int, int]
    """Dots the renderer draws per cell (half-cells 1x2, textual-image's unicode 1x1,
    symbols 4x8, Sixel and kitty the cell's pixels)."""
    exact: bool = False
    """The renderer draws at the cells it is given (:func:`fit_cells`), exactly
    ``cells x density`` dots: the frame is made that size, not the source's aspect, so the
    renderer does not resample it again. Otherwise (textual-image's widgets, which size
    themselves from the image) the source's aspect is kept."""
    terminal_scales: float = 1.0
    """The terminal shrinks the image to its cells itself (kitty, on its GPU) about as well
    as we would when it needs at least this share of the source: then the source's size is
    kept and the shrinking, the costliest part of a frame here, is left to it. ``1.0``:
    always shrunk here."""
    rgba: bool = False
    """The renderer reads 4-byte pixels (Sixel, through Chafa, whose own format is RGBA):
    the frame is made as opaque RGBA, not RGB."""
    grows: bool = False
    """Nothing after the decoder scales this exact renderer's frames (Sixel: the terminal
    draws the pixels as they come), so a frame is made exactly ``cells x density`` even
    where that is more than the source: swscale makes 1914x1196 from 1440x900 as it
    decodes (8 ms more), where Pillow's resize of the decoded frame took 49."""


def fit_cells(source: tuple[int, int], box: Size, cell: tuple[int, int]) -> tuple[int, int]:
    """The cells (columns, rows) an image of ``source`` pixels fills in ``box``, aspect kept.

    ``cell`` is a terminal cell's size in pixels (width, height): cells are about twice as
    tall as wide, so a 16:10 screen takes more columns than rows * 1.6.
    """
    src_w, src_h = source
    cell_w, cell_h = cell
    if src_w <= 0 or src_h <= 0 or box.width <= 0 or box.height <= 0:
        return (0, 0)
    scale = min(box.width * cell_w / src_w, box.height * cell_h / src_h)
    cols = max(1, min(box.width, round(src_w * scale / cell_w)))
    rows = max(1, min(box.height, round(src_h * scale / cell_h)))
    return (cols, rows)


def frame_pixels(
    source: tuple[int, int], cells: tuple[int, int], needs: PixelNeeds
) -> tuple[int, int]:
    """The size to shrink a ``source``-sized frame to for a renderer covering ``cells``
    (:func:`fit_cells`) that ``needs`` what it says: a pixel per dot, never more than
    ``source`` (unless it ``grows``); exactly ``cells x density`` for an exact renderer,
    else the smallest size with the source's aspect; the source itself where the terminal
    shrinks it.
    """
    src_w, src_h = source
    if src_w <= 0 or src_h <= 0:
        return (1, 1)
    dots = (cells[0] * needs.density[0], cells[1] * needs.density[1])
    if needs.exact and needs.grows:
        return (max(1, dots[0]), max(1, dots[1]))
    scale = min(1.0, max(dots[0] / src_w, dots[1] / src_h))
    if scale >= needs.terminal_scales:
        return source
    if needs.exact and dots[0] <= src_w and dots[1] <= src_h:
        return (max(1, dots[0]), max(1, dots[1]))
    return (max(1, round(src_w * scale)), max(1, round(src_h * scale)))


def decode_frame(
    data: bytes, box: Size, cell: tuple[int, int], needs: PixelNeeds
) -> tuple[PILImage.Image, tuple[int, int]]:
    """Decode an encoded screenshot into an RGB image just big enough for ``box`` cells of
    ``cell`` pixels, as the renderer ``needs`` it (:func:`frame_pixels`).

    JPEG (what the preview asks for) is decoded and shrunk in one pass (:mod:`tui.jpeg`),
    anything else by Pillow. The image is RGB, or opaque RGBA where the renderer
    ``needs.rgba``. Returns it and the source's size in pixels. Blocking: run it in a
    thread.

    Raises ``OSError`` (``PIL.UnidentifiedImageError``) or ``ValueError`` for data that is
    not an image.
    """

    def size_for(source: tuple[int, int]) -> tuple[int, int]:
        return frame_pixels(source, fit_cells(source, box, cell), needs)

    if is_jpeg(data):
        return decode_jpeg(data, size_for, rgba=needs.rgba)
    image: PILImage.Image = PILImage.open(io.BytesIO(data))
    source = image.size
    target = size_for(source)
    image = image.convert("RGB")
    if image.size != target:  # before RGBA: Pillow resizes RGBA premultiplied, far slower
        image = image.resize(target, PILImage.Resampling.BILINEAR, reducing_gap=None)
    if needs.rgba:
        image = image.convert("RGBA")
    return image, source


def draw_pointer(
    image: PILImage.Image,
    source: tuple[int, int],
    point: tuple[int, int],
    cells: tuple[int, int],
) -> None:
    """Draw the desktop pointer at ``point`` (desktop pixels of a ``source``-sized screen)
    onto ``image`` (that screen shrunk), in place: a cross about one cell wide and tall,
    yellow on a black outline, so it shows on light and dark windows and in every renderer
    (it is part of the picture, so kitty's image, which lies over text, cannot hide it).
    ``cells`` is what the image covers; the cross spans one of them either way.
    """
    if source[0] <= 0 or source[1] <= 0 or cells[0] <= 0 or cells[1] <= 0:
        return
    x = point[0] * image.width / source[0]
    y = point[1] * image.height / source[1]
    arm_x = max(1.0, image.width / cells[0])
    arm_y = max(1.0, image.height / cells[1])
    line = max(1, round(min(arm_x, arm_y) / 4))
    draw = ImageDraw.Draw(image)
    for colour, width in (((0, 0, 0), line + 2), ((255, 230, 0), line)):
        draw.line([(x - arm_x, y), (x + arm_x, y)], fill=colour, width=width)
        draw.line([(x, y - arm_y), (x, y + arm_y)], fill=colour, width=width)


def prepare_frame(
    data: bytes,
    box: Size,
    cell: tuple[int, int],
    needs: PixelNeeds,
    encode: Encoder | None,
    pointer: tuple[int, int] | None = None,
) -> tuple[PILImage.Image, tuple[int, int], tuple[int, int], Any]:
    """:func:`decode_frame`, then the cells the image covers in ``box`` and what ``encode``
    makes of it there (``None`` without one): the image, the source's size, the cells and
    the encoded frame. ``pointer`` (desktop pixels) is marked on the image
    (:func:`draw_pointer`). Blocking: run it in a thread.
    """
    image, source = decode_frame(data, box, cell, needs)
    cells = fit_cells(source, box, cell)
    if pointer is not None:
        draw_pointer(image, source, pointer, cells)
    encoded = encode(image, cells, cell) if encode is not None else None
    return image, source, cells, encoded


def save_png(data: bytes, directory: Path, stem: str) -> tuple[Path, tuple[int, int]]:
    """Write PNG ``data`` to ``directory`` under a new name starting with ``stem``.

    The bytes are checked to be a complete PNG first. The file is written whole or not at
    all under the first name no file has (:func:`tui.files.save_new`): ``stem.png``,
    ``stem-1.png``, ... An existing file is never replaced. Returns the path and the image's
    size in pixels. Blocking: run it in a thread.

    Raises ``OSError`` for a failed write and ``ValueError`` for data that is not a PNG.
    """
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise ValueError(f"the desktop sent {image.format or 'unknown'} data, not PNG")
            size = image.size
            image.verify()
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"the desktop sent a broken PNG ({exc})") from exc
    return save_new(directory, f"{stem}.png", data), size
