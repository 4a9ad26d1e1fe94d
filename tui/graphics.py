"""Every use of textual-image's internals, in one place.

textual-image (pinned to :data:`TEXTUAL_IMAGE_VERSION` in ``pyproject.toml``) draws the
preview. Some of what we need from it is not public: setting its cached terminal probe,
reading the cell size the probe found, which renderable a widget class draws with, and
swapping a widget's image without the relayout its setter does. Those uses live here, and
``tests/tui/test_graphics.py`` fails loudly when a new version changes any of them.

Importing this module does not probe the terminal: only ``textual_image._terminal`` is
imported up front. :func:`probe_terminal` asks the terminal once (our own probe, which also
reads its name and version) and settles textual-image's cached probe from the answers, so
the first import of ``textual_image.widget`` does not ask again.
"""

from __future__ import annotations

import fcntl
import logging
import struct
import sys
import termios
from typing import TYPE_CHECKING

from textual_image import _terminal

from tui import terminal_probe
from tui.terminal_probe import TerminalAnswers

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from textual.app import App
    from textual.widget import Widget

__all__ = [
    "TEXTUAL_IMAGE_VERSION",
    "cell_size",
    "probe_terminal",
    "renderable_of",
    "set_image_quietly",
    "terminal_answers",
    "write_to_terminal",
]

TEXTUAL_IMAGE_VERSION = "0.14.2"
"""The version whose internals this module uses (the one ``pyproject.toml`` pins)."""

log = logging.getLogger(__name__)

_answers = TerminalAnswers()


def probe_terminal() -> TerminalAnswers:
    """Ask the terminal what it can draw, while the terminal is ours; remember the answers.

    Once Textual runs it reads stdin itself, and a probe then would find nothing. Our
    probe (:func:`tui.terminal_probe.probe`) asks once, and textual-image's cached probe is
    settled from its answers, so the terminal is not asked twice. Not a terminal: nothing is
    asked, and the answers say so.
    """
    global _answers
    out = sys.__stdout__
    answers = terminal_probe.probe() if out and out.isatty() else TerminalAnswers()
    cell = _ioctl_cell(out) or answers.cell or (10, 20)
    settle_probe(cell=cell, sixel=answers.sixel, kitty=answers.kitty_graphics)
    _answers = answers
    log.info("terminal: %s; cell %dx%d px", answers.describe(), *cell)
    return answers


def terminal_answers() -> TerminalAnswers:
    """What the terminal said at start-up (:func:`probe_terminal`); nothing if not asked."""
    return _answers


def _ioctl_cell(out: object) -> tuple[int, int] | None:
    """A cell's pixels from the terminal's window size (``TIOCGWINSZ``), if it reports them."""
    try:
        rows, cols, width, height = struct.unpack(
            "HHHH",
            fcntl.ioctl(out.fileno(), termios.TIOCGWINSZ, bytes(8)),  # type: ignore[attr-defined]
        )
    except (OSError, AttributeError, ValueError):
        return None
    if not (rows and cols and width and height):
        return None
    return (width // cols, height // rows) if width >= cols and height >= rows else None


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


def write_to_terminal(app: App[object], text: str) -> None:
    """Write ``text`` to the terminal in order with Textual's own output (through its
    driver: a Textual internal); nothing in a headless app or one that has stopped."""
    driver = getattr(app, "_driver", None)
    if driver is not None and not getattr(app, "is_headless", False):
        driver.write(text)
