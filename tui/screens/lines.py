"""Lines to read in a modal: a bulk action's result per desktop, the recent alerts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

__all__ = ["LinesScreen"]


class LinesScreen(ModalScreen[None]):
    """A title and one line each; escape (or enter) closes it."""

    DEFAULT_CSS = """
    LinesScreen {
        align: center middle;
    }
    LinesScreen > #dialog {
        width: 80%;
        max-width: 110;
        height: auto;
        max-height: 80%;
        padding: 1 2;
        border: thick $primary 80%;
        background: $surface;
    }
    LinesScreen #title {
        text-style: bold;
        margin-bottom: 1;
    }
    LinesScreen VerticalScroll {
        height: auto;
        max-height: 30;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", id="lines.close", tooltip="Back"),
    ]

    def __init__(self, title: str, lines: Sequence[str], *, empty: str = "Nothing yet.") -> None:
        super().__init__()
        self.lines_title = title
        self.lines = list(lines)
        self.empty = empty

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.lines_title, id="title")
            with VerticalScroll():
                yield Static("\n".join(self.lines) or self.empty, id="lines", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
