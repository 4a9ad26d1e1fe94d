"""Shown while the embedded local desktop starts, and in its place if it cannot."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static

__all__ = ["StartingScreen"]


class StartingScreen(Screen[None]):
    """A loading indicator and one line of what is happening (or what went wrong)."""

    DEFAULT_CSS = """
    StartingScreen {
        align: center middle;
    }
    StartingScreen #starting-box {
        width: 80%;
        height: auto;
    }
    StartingScreen LoadingIndicator {
        height: 3;
        width: 1fr;
    }
    StartingScreen #starting-message {
        width: 1fr;
        text-align: center;
    }
    StartingScreen #starting-hint {
        width: 1fr;
        color: $text-muted;
        margin-top: 1;
        text-align: center;
    }
    StartingScreen.-failed #starting-message {
        color: $text-error;
    }
    StartingScreen.-failed LoadingIndicator {
        display: none;
    }
    """

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
        self._failure: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with Vertical(id="starting-box"):
            yield LoadingIndicator()
            yield Static(self.message, id="starting-message", markup=False)
            yield Static("", id="starting-hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "leap0"
        if self._failure is not None:
            self.show_failure(*self._failure)

    def show_message(self, message: str) -> None:
        """Say what is happening now."""
        self.message = message
        if self.is_mounted:
            self.query_one("#starting-message", Static).update(message)

    def show_failure(self, message: str, hint: str) -> None:
        """Stop the indicator and say what went wrong, and what the user can do."""
        self._failure = (message, hint)
        if not self.is_mounted:
            return
        self.add_class("-failed")
        self.query_one("#starting-message", Static).update(message)
        self.query_one("#starting-hint", Static).update(hint)
