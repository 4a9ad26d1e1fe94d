"""Pick one of a few options in a modal: which process to restart, start or stop recording."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

__all__ = ["ChoiceScreen"]


class ChoiceScreen(ModalScreen[str | None]):
    """Dismissed with the chosen option's id, or ``None`` (escape)."""

    DEFAULT_CSS = """
    ChoiceScreen {
        align: center middle;
    }
    ChoiceScreen > #dialog {
        width: auto;
        min-width: 36;
        max-width: 72;
        height: auto;
        padding: 1 2;
        border: thick $primary 80%;
        background: $surface;
    }
    ChoiceScreen #title {
        text-style: bold;
        margin-bottom: 1;
    }
    ChoiceScreen OptionList {
        height: auto;
        max-height: 12;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel", tooltip="Choose nothing"),
    ]

    def __init__(self, title: str, options: Sequence[tuple[str, str]]) -> None:
        """``options``: (id, what the user reads) each."""
        super().__init__()
        self.question_title = title
        self.options = list(options)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question_title, id="title")
            yield OptionList(*(Option(text, id=key) for key, text in self.options))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
