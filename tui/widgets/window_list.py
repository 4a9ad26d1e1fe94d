"""The desktop's top-level windows: title, class, geometry, and which one has the focus."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.reactive import reactive
from textual.widgets import DataTable

from core.models import DesktopWindow
from tui.polling import error_into, poll
from tui.widgets._style import foreground_style
from tui.widgets.table_sync import sync_rows

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient, SandboxRef

__all__ = ["WindowList"]

INTERVAL = 5.0
"""Seconds between window listings while shown."""

MAX_BACKOFF = 15.0

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("focus", "", 1),
    ("title", "Title", 15),
    ("class", "Class", 11),
    ("geometry", "Geometry", 15),
)
"""Key, label, width: 49 cells with the cells' padding, so they and a scroll bar fit the
display pane of the wide layout (52 inside its border). Geometry gets its full width
(``3x3+-9999+-9999`` is how xfce4-panel parks its helper windows); titles are cut first."""


class WindowList(DataTable[Text | str]):
    """The windows on the desktop, re-listed every few seconds while shown; rows change in
    place, keyed by X11 window id."""

    DEFAULT_CSS = """
    WindowList {
        height: 1fr;
        overflow-x: hidden;
        border: round $foreground 30%;
        border-title-align: left;
        border-subtitle-color: $text-muted;
        &:focus {
            border: round $accent;
        }
        &.-failing {
            border-subtitle-color: $text-error;
        }
        & > .window-list--focused {
            color: $text-accent;
            text-style: bold;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = DataTable.COMPONENT_CLASSES | {"window-list--focused"}

    error: reactive[str | None] = reactive(None)
    """The last listing's failure, one line, while listing fails."""

    def __init__(
        self,
        client: AsyncDesktopClient | None,
        target: SandboxRef | None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(cursor_type="row", name=name, id=id, classes=classes)
        self.client = client
        self.target = target

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, width=width, key=key)
        self.border_title = "Windows"

    def on_show(self) -> None:
        if self.client is not None and self.target is not None:
            self._follow()

    def on_hide(self) -> None:
        self.workers.cancel_group(self, "follow")

    @work(exclusive=True, group="follow", exit_on_error=False)
    async def _follow(self) -> None:
        client, target = self.client, self.target
        assert client is not None and target is not None

        async def step(_: float) -> None:
            self.show_windows(await client.windows(target))

        await poll(
            step,
            interval=INTERVAL,
            max_backoff=MAX_BACKOFF,
            on_error=error_into(self, "window list"),
        )

    def show_windows(self, windows: list[DesktopWindow]) -> None:
        """Make the rows match ``windows``: add new ones, change changed cells, drop gone ones."""
        rows = {
            window.id or f"#{index}": self._cells(window) for index, window in enumerate(windows)
        }
        sync_rows(self, rows)
        subtitle = f"{len(rows)} window{'s' if len(rows) != 1 else ''}"
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle

    def watch_error(self, error: str | None) -> None:
        self.set_class(error is not None, "-failing")
        if error is not None:
            self.border_subtitle = "⚠ cannot list windows"

    def _cells(self, window: DesktopWindow) -> tuple[Text | str, ...]:
        focused = Text("●", style=foreground_style(self, "window-list--focused"))
        geometry = "—"
        if window.width is not None and window.height is not None:
            geometry = f"{window.width}x{window.height}+{window.x or 0}+{window.y or 0}"
        return (
            focused if window.focused else "",
            window.title or "(untitled)",
            (window.window_class or "").split(".")[-1] or "—",
            geometry,
        )
