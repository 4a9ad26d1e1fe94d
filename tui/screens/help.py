"""``?``: the keys of the screen underneath, grouped by the pane they act on."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group as RichGroup
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.bindings import screen_actions

__all__ = ["HelpScreen"]

INTRO = (
    "Tab / Shift+Tab move between panes; arrows move within one. "
    "Ctrl+P searches every action below by name."
)


class HelpScreen(ModalScreen[None]):
    """Lists every bound action of ``screen`` (and the app's), with its key and what it does."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 90%;
        max-width: 96;
        height: 90%;
        border: thick $primary 80%;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen .help-intro {
        color: $text-muted;
        margin: 1 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close", tooltip="Close help"),
    ]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.described = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            yield Static(INTRO, classes="help-intro", markup=False)
            yield Static(self._table())

    def _table(self) -> RichGroup:
        """One small table per pane (or the app), titled with its name."""
        tables: list[Table] = []
        table: Table | None = None
        group = None
        for item in screen_actions(self.described):
            if not item.applies:
                continue
            if item.group != group or table is None:
                group = item.group
                table = Table(
                    box=None,
                    expand=True,
                    show_header=False,
                    pad_edge=False,
                    title=group,
                    title_justify="left",
                    title_style="bold underline",
                )
                table.add_column("key", style="bold", no_wrap=True, width=8)
                table.add_column("action", no_wrap=True, width=18)
                table.add_column("help", ratio=1)
                tables.append(table)
            binding = item.binding
            table.add_row(
                self.app.get_key_display(binding),
                binding.description or binding.action,
                Text(binding.tooltip or "", style="dim"),
            )
        return RichGroup(*tables)

    def action_close(self) -> None:
        self.dismiss(None)
