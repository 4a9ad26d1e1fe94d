"""Every use of textual-image's internals, in one place.

textual-image (pinned to :data:`TEXTUAL_IMAGE_VERSION` in ``pyproject.toml``) draws the
preview. Some of what we need from it is not public: setting its cached terminal probe,
reading the cell size the probe found, which renderable a widget class draws with, and
swapping a widget's image without the relayout its setter does. Those uses live here, and
``tests/tui/test_graphics.py`` fails loudly when a new version changes any of them.

Importing this module does not probe the terminal: only ``textual_image._terminal`` is
imported up front; the probe runs in :func:`probe_terminal` or at the first import of
``textual_image.widget`` / ``textual_image.renderable``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

from textual_image import _terminal

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from textual.widget import Widget

__all__ = [
    "TEXTUAL_IMAGE_VERSION",
    "cell_size",
    "probe_terminal",
    "renderable_of",
    "set_image_quietly",
]

TEXTUAL_IMAGE_VERSION = "0.14.2"
"""The version whose internals this module uses (the one ``pyproject.toml`` pins)."""

log = logging.getLogger(__name__)


def probe_terminal() -> None:
    """Let textual-image ask the terminal what it can draw, while the terminal is ours.

    Once Textual runs it reads stdin itself, and a probe then would silently fall back to
    the plainest renderer. Not a terminal: nothing is asked (the first import of the
    widgets probes, and finds no terminal).
    """
    out, into = sys.__stdout__, sys.__stdin__
    if not (out and out.isatty() and into and into.isatty()):
        return
    try:
        size = os.get_terminal_size(out.fileno())
    except OSError:
        return
    if size.columns == 0 or size.lines == 0:
        # A 0x0 pseudo-terminal makes the probe divide by zero, at whichever import of
        # textual-image comes first. Settle its cached answer now: no graphics protocol,
        # a typical cell, so the half-cell renderer is used.
        settle_probe(cell=(10, 20), sixel=False, kitty=False)
        return
    try:
        import textual_image.widget  # noqa: F401  (imported for its probe)
    except Exception:
        log.warning("textual-image could not probe the terminal", exc_info=True)


def settle_probe(*, cell: tuple[int, int], sixel: bool, kitty: bool) -> None:
    """Make textual-image's cached probe answer this, without asking the terminal."""
    try:
        _terminal.probe_terminal._result = _terminal.TerminalCapabilities(  # type: ignore[attr-defined]
            _terminal.CellSize(*cell), sixel=sixel, tgp=kitty
        )
    except Exception:
        log.warning("cannot settle textual-image's terminal probe", exc_info=True)


def cell_size() -> tuple[int, int]:
    """The terminal's cell in pixels (width, height), as textual-image's probe found it."""
    cell = _terminal.get_cell_size()
    return (cell.width, cell.height)


def renderable_of(widget_class: type[Widget]) -> type | None:
    """The renderable class a textual-image widget class draws with (``None`` for other
    widgets)."""
    renderable: type | None = getattr(widget_class, "_Renderable", None)
    return renderable


def set_image_quietly(widget: Widget, image: PILImage.Image) -> None:
    """Give a textual-image widget a new image of the same size, without the relayout and
    repaint its ``image`` setter asks for: the caller repaints what changed."""
    widget._image = image  # type: ignore[attr-defined]
