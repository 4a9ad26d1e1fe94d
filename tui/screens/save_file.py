"""Ask where to save a file: a path, prefilled with a suggestion the user can edit."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

__all__ = ["SaveFileScreen", "ask_where_to_save"]


class SaveFileScreen(ModalScreen[Path | None]):
    """Dismissed with the chosen path (``~`` expanded), or ``None`` when cancelled.

    It only asks: whether the file exists, and whether to replace it, is for the caller
    to check once it has the answer (with :class:`~tui.screens.confirm.ConfirmScreen`).
    """

    DEFAULT_CSS = """
    SaveFileScreen {
        align: center middle;
    }
    SaveFileScreen > #dialog {
        width: 80%;
        max-width: 100;
        height: auto;
        padding: 1 2;
        border: thick $primary 80%;
        background: $surface;
    }
    SaveFileScreen #title {
        text-style: bold;
        margin-bottom: 1;
    }
    SaveFileScreen #buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    SaveFileScreen Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="save_file.cancel", tooltip="Do not save"),
    ]

    def __init__(self, title: str, suggestion: Path) -> None:
        super().__init__()
        self.question_title = title
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question_title, id="title")
            yield Input(str(self.suggestion), id="path", select_on_focus=False)
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        field = self.query_one("#path", Input)
        field.focus()
        field.cursor_position = len(field.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._answer(self.query_one("#path", Input).value)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _answer(self, value: str) -> None:
        value = value.strip()
        if not value:
            self.notify("Give a file name to save to.", severity="warning")
            return
        self.dismiss(Path(value).expanduser())


async def ask_where_to_save(
    app: App[object], title: str, suggestion: Path, replacing: str
) -> tuple[Path, bool] | None:
    """Ask for a path, then before replacing a file there; ``(path, overwrite)`` or ``None``.

    Call from a worker. A directory given (one that exists) means the suggested name in
    it. ``replacing`` ends the question "Replace it with ...?" (``"the stdout of xvfb"``).
    ``None`` when the user cancelled either question.
    """
    from tui.screens.confirm import ConfirmScreen

    path = await app.push_screen_wait(SaveFileScreen(title, suggestion))
    if path is None:
        return None
    if path.is_dir():
        path = path / suggestion.name
    if not path.exists() and not path.is_symlink():
        return path, False
    replace = await app.push_screen_wait(
        ConfirmScreen(
            f"Replace {path.name}?",
            f"{path} exists. Replace it with {replacing}?",
            confirm_label="Replace",
            variant="error",
        )
    )
    return (path, True) if replace else None
