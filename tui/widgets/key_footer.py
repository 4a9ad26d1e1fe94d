"""The footer of keys, never running into the command palette's hint on a narrow terminal."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    """Textual's footer, whose palette hint (docked right) steps aside when the keys need
    its room: Textual draws the keys that do not fit under the hint ("q Qui^p palette").
    The hint goes (``-crowded``) while the keys and it do not both fit; ``ctrl+p`` still
    works, and the help lists it."""

    DEFAULT_CSS = """
    KeyFooter.-crowded FooterKey.-command-palette {
        display: none;
    }
    """

    _hint_width = 0
    """The hint's width when last shown (hidden, it measures nothing)."""

    def compose(self) -> ComposeResult:
        yield from super().compose()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Hide the hint while the keys and the hint are wider than the footer."""
        keys = 0
        for child in self.children:
            if isinstance(child, FooterKey) and child.has_class("-command-palette"):
                self._hint_width = child.outer_size.width or self._hint_width
            else:
                keys += child.outer_size.width
        self.set_class(keys + self._hint_width > self.size.width, "-crowded")
