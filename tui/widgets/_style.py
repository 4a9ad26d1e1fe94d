"""Cell styles from component classes, without the background a cell cursor must paint;
the line filters a picture's cells need."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import ControlType, Segment
from rich.style import Style
from textual.filter import ANSIToTruecolor, LineFilter
from textual.widget import Widget

__all__ = ["as_is", "foreground_style", "picture_filters"]


def foreground_style(widget: Widget, component: str) -> Style:
    """The colour and text style of ``component`` on ``widget``, with no background, so a
    table's cursor and zebra stripes still show through the cell."""
    style = widget.get_component_rich_style(component)
    return Style(color=style.color, bold=style.bold, italic=style.italic, dim=style.dim)


def picture_filters(widget: Widget) -> Sequence[LineFilter]:
    """The app's line filters but the one that turns ANSI colours into the theme's: a
    picture's cells are in 24-bit colour already, and going over thousands of them a frame
    (each its own colour pair, past the filter's cache of 1024) took a fifth of the event
    loop in live mode at 240x70."""
    return [f for f in widget.app.get_line_filters() if not isinstance(f, ANSIToTruecolor)]


def as_is(text: str) -> Segment:
    """A segment Textual writes as it is and counts as no cells (a picture's own escape
    sequences: the cells it draws are the strip's width)."""
    return Segment(text, None, ((ControlType.CURSOR_FORWARD, 0),))
