"""The account's sandboxes, listed live from the control plane; Enter opens one."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Static

from core.config import Settings
from core.errors import Leap0AuthError
from core.sandboxes import SandboxSummary, list_sandboxes
from tui import clock
from tui.failures import report
from tui.polling import poll
from tui.widgets._style import foreground_style
from tui.widgets.table_sync import cursor_key, sync_rows

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient

__all__ = ["PickerScreen"]

REFRESH_INTERVAL = 5.0
"""Seconds between listings."""

MAX_BACKOFF = 60.0

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("id", "Sandbox", 28),
    ("state", "State", 12),
    ("template", "Template", 20),
    ("age", "Age", 8),
    ("left", "Time left", 10),
)

_STATE_STYLES = {
    "running": "picker--running",
    "starting": "picker--changing",
    "unpausing": "picker--changing",
    "stopping": "picker--changing",
    "snapshotting": "picker--changing",
    "paused": "picker--paused",
}


class PickerScreen(Screen[None]):
    """Lists the sandboxes every few seconds; rows change in place, keyed by sandbox id."""

    DEFAULT_CSS = """
    PickerScreen > #picker-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        &.-failing {
            color: $text-error;
        }
    }
    PickerScreen > DataTable {
        height: 1fr;
    }
    PickerScreen > .picker--running {
        color: $text-success;
    }
    PickerScreen > .picker--changing {
        color: $text-warning;
    }
    PickerScreen > .picker--paused {
        color: $text-muted;
    }
    PickerScreen > .picker--gone {
        color: $text-error;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "picker--running",
        "picker--changing",
        "picker--paused",
        "picker--gone",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+r",
            "refresh_list",
            "Refresh",
            id="picker.refresh",
            tooltip="List the sandboxes again now",
        ),
        Binding(
            "enter",
            "open_sandbox",
            "Open",
            id="picker.open",
            tooltip="Open the highlighted sandbox's desktop",
            show=True,
        ),
    ]

    error: reactive[str | None] = reactive(None)
    """The last listing's failure, one line, while listing fails."""

    def __init__(
        self,
        client: AsyncDesktopClient,
        settings: Settings,
        *,
        image_renderer: type[Widget] | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.settings = settings
        self.image_renderer = image_renderer
        self._sandboxes: dict[str, SandboxSummary] = {}
        self._listed = False
        self._wake = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static("Listing sandboxes…", id="picker-status", markup=False)
        yield DataTable(cursor_type="row", id="sandboxes")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "leap0"
        self.sub_title = f"sandboxes · {self.settings.base_url}"
        table = self.query_one("#sandboxes", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, width=width, key=key)
        table.focus()
        clock.every_second(self, self._tick)
        self._follow()

    @work(exclusive=True, group="list", exit_on_error=False)
    async def _follow(self) -> None:
        async def step(_: float) -> None:
            self.show_sandboxes(await list_sandboxes(self.client.transport))

        await poll(
            step,
            interval=REFRESH_INTERVAL,
            max_backoff=MAX_BACKOFF,
            on_error=self._listing_ended,
            wake=self._wake,
        )

    def _listing_ended(self, exc: Exception | None) -> None:
        """A listing ended: in ``exc`` if it failed (a toast when the reason is new)."""
        if exc is None:
            self.error = None
            return
        line = report("list sandboxes", exc)
        if isinstance(exc, Leap0AuthError):
            line += " (check LEAP0_API_KEY or the profile's api_key)"
        if line != self.error:
            self.notify(line, title="Sandboxes", severity="error", markup=False)
        self.error = line

    def show_sandboxes(self, sandboxes: list[SandboxSummary]) -> None:
        """Make the rows match ``sandboxes`` (in the order given)."""
        self._listed = True
        self._sandboxes = {s.id: s for s in sandboxes}
        self._show_rows()
        self._show_status()

    def _tick(self) -> None:
        """Ages and time left move on between listings."""
        self._show_rows()

    def _show_rows(self) -> None:
        rows = {sandbox_id: self._cells(s) for sandbox_id, s in self._sandboxes.items()}
        sync_rows(self.query_one("#sandboxes", DataTable), rows)

    def _cells(self, sandbox: SandboxSummary) -> tuple[Text | str, ...]:
        now = clock.wall()
        component = _STATE_STYLES.get(sandbox.state, "picker--gone")
        state = Text(sandbox.state, style=foreground_style(self, component))
        age = clock.age_text(now - _epoch(sandbox.created_at))
        left = "—"
        if sandbox.timeout_at is not None:
            seconds = sandbox.timeout_at - now
            left = clock.age_text(seconds) if seconds > 0 else "timed out"
        return (sandbox.id, state, sandbox.template_id, age, left)

    def watch_error(self, error: str | None) -> None:
        self._show_status()

    def _show_status(self) -> None:
        status = self.query_one("#picker-status", Static)
        status.set_class(self.error is not None, "-failing")
        if self.error is not None:
            status.update(f"⚠ {self.error} (retrying)")
        elif not self._listed:
            status.update("Listing sandboxes…")
        elif not self._sandboxes:
            status.update("No sandboxes in this account. Create one, and it appears here.")
        else:
            count = len(self._sandboxes)
            running = sum(1 for s in self._sandboxes.values() if s.state == "running")
            status.update(
                f"{count} sandbox{'es' if count != 1 else ''}, {running} running · Enter opens one"
            )

    # ── actions ──

    def action_refresh_list(self) -> None:
        self._wake.set()

    def action_open_sandbox(self) -> None:
        key = cursor_key(self.query_one("#sandboxes", DataTable))
        if key is not None:
            self._open(key)

    @on(DataTable.RowSelected, "#sandboxes")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self._open(event.row_key.value)

    def _open(self, sandbox_id: str) -> None:
        from tui.screens.desktop import DesktopScreen

        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is not None and sandbox.state != "running":
            self.notify(
                f"{sandbox_id} is {sandbox.state}; its desktop may not answer.",
                severity="warning",
                markup=False,
            )
        self.app.push_screen(
            DesktopScreen(
                self.client,
                sandbox_id,
                self.settings,
                label=sandbox_id,
                image_renderer=self.image_renderer,
                closable=True,
            )
        )


def _epoch(when: datetime) -> float:
    return when.timestamp()
