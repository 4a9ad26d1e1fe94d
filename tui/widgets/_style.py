"""Cell styles from component classes, without the background a cell cursor must paint."""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget

__all__ = ["foreground_style"]


def foreground_style(widget: Widget, component: str) -> Style:
    """The colour and text style of ``component`` on ``widget``, with no background, so a
    table's cursor and zebra stripes still show through the cell."""
    style = widget.get_component_rich_style(component)
    return Style(color=style.color, bold=style.bold, italic=style.italic, dim=style.dim)
