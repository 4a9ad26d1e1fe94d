"""StatusLine: a one-row line of plain text that repaints only when its text changes."""

from __future__ import annotations

from textual.widgets import Static

__all__ = ["StatusLine"]


class StatusLine(Static):
    """A single row of plain text, as panes show under their content.

    Panes refresh their status every second (ages tick); :meth:`show` skips the repaint
    when the text is the same, and never asks for a layout pass, since a one-row line
    never changes size. Each skipped layout pass is CPU an idle dashboard keeps. Text
    longer than the line ends in an ellipsis; the whole of it is the line's tooltip.
    """

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, markup=False)
        self._text = text

    @property
    def text(self) -> str:
        return self._text

    def show(self, text: str) -> None:
        """Show ``text``, repainting only if it differs from what is shown."""
        if text != self._text:
            self._text = text
            self.update(text, layout=False)
            self.tooltip = text or None
