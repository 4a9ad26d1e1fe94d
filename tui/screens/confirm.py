"""A yes/no question in a modal: restart a process, delete a recording, overwrite a file."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

__all__ = ["ConfirmScreen"]


class ConfirmScreen(ModalScreen[bool]):
    """Ask one question; dismiss with ``True`` to go ahead, ``False`` to cancel.

    Push it with a callback (``app.push_screen(ConfirmScreen(...), on_answer)``) or await
    ``push_screen_wait`` from a worker. ``variant="error"`` colours the confirm button for
    destructive actions (delete, overwrite) and then puts the focus on the cancel button, so
    Enter on an unread question never destroys anything; otherwise Enter confirms.
    """

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen > #dialog {
        width: auto;
        min-width: 40;
        max-width: 72;
        height: auto;
        padding: 1 2;
        border: thick $primary 80%;
        background: $surface;
    }
    ConfirmScreen.-error > #dialog {
        border: thick $error 80%;
    }
    ConfirmScreen #title {
        text-style: bold;
        width: 1fr;
        margin-bottom: 1;
    }
    ConfirmScreen #message {
        width: 1fr;
        margin-bottom: 1;
    }
    ConfirmScreen #buttons {
        height: auto;
        width: 1fr;
        align-horizontal: right;
    }
    ConfirmScreen Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Go ahead"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", tooltip="Cancel"),
        Binding("left,right", "app.focus_next", "Switch button", show=False),
    ]

    def __init__(
        self,
        title: str,
        message: str = "",
        *,
        confirm_label: str = "Yes",
        cancel_label: str = "Cancel",
        variant: Literal["primary", "warning", "error"] = "primary",
    ) -> None:
        super().__init__(classes=f"-{variant}")
        self.question_title = title
        self.message = message
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.variant = variant

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question_title, id="title")
            if self.message:
                yield Static(self.message, id="message", markup=False)
            with Horizontal(id="buttons"):
                yield Button(self.cancel_label, id="cancel", variant="default")
                yield Button(self.confirm_label, id="confirm", variant=self.variant)

    def on_mount(self) -> None:
        button = "#cancel" if self.variant == "error" else "#confirm"
        self.query_one(button, Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
