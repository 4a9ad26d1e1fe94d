"""The desktop's processes, live from the status stream: state, pid, since when, restarts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable

from core.models import DesktopProcessStatus, DesktopProcessStatusList
from core.status_feed import FeedUpdate, StatusFeed
from tui import clock
from tui.failures import one_line, report
from tui.widgets._style import foreground_style
from tui.widgets.table_sync import cursor_key, sync_rows

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient, SandboxRef
    from core.status_feed import FeedUpdate

__all__ = ["ProcessTable"]

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", "Process", 7),
    ("state", "State", 12),
    ("pid", "PID", 7),
    ("since", "Since", 8),
    ("restarts", "Restarts", 8),
)
"""Key, label and width of each column."""

_FEED_RESTART_DELAY = 5.0
"""Seconds before following the feed again if it failed in a way it should not."""


@dataclass(slots=True)
class _Row:
    """What the table knows about one process, as seen from here."""

    running: bool
    pid: int | None
    since: float
    """Wall-clock time the process was first seen, or last changed state."""
    restarts: int = 0
    """New pids seen since the table started (a stop, then a start, counts once)."""
    last_pid: int | None = None
    restarting: bool = False


STALE_STATES = frozenset({"reconnecting", "stale"})
"""Feed states in which the table shows the last known states, not the current ones."""


class ProcessTable(DataTable[Text | str]):
    """One row per desktop process, changed in place as status events arrive.

    Follows core's :class:`~core.status_feed.StatusFeed` in a worker: a stream while the
    desktop streams, polling when it will not, with reconnection in between. The border
    shows the overall status (title) and the feed's state (subtitle); the age of the last
    event is :attr:`last_event_text`, for a line outside the table: it changes every
    second, and a changed border repaints the whole table. ``r`` asks for a restart of the
    highlighted process by posting :class:`RestartRequested`; whoever handles it confirms,
    restarts and calls :meth:`mark_restarting`.
    """

    DEFAULT_CSS = """
    ProcessTable {
        height: auto;
        max-height: 12;
        overflow-x: hidden;
        border: round $foreground 30%;
        border-title-align: left;
        border-subtitle-align: right;
        border-subtitle-color: $text-muted;
        &:focus {
            border: round $accent;
        }
        &.-degraded {
            border-title-color: $text-warning;
        }
        &.-stopped {
            border-title-color: $text-error;
        }
        &.-stale {
            border-subtitle-color: $text-warning;
            tint: $background 25%;
        }
        & > .process-table--running {
            color: $text-success;
        }
        & > .process-table--stopped {
            color: $text-error;
            text-style: bold;
        }
        & > .process-table--restarting {
            color: $text-warning;
            text-style: italic;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = DataTable.COMPONENT_CLASSES | {
        "process-table--running",
        "process-table--stopped",
        "process-table--restarting",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "restart_process",
            "Restart",
            id="processes.restart",
            tooltip="Restart the highlighted process (asks first)",
        ),
    ]

    feed_state: reactive[str] = reactive("connecting")
    """The status feed's state: connecting, live, reconnecting, polling or stale."""

    overall: reactive[str | None] = reactive(None)
    """The desktop's overall status (running, degraded, stopped), once known."""

    @dataclass
    class RestartRequested(Message):
        """The user asked to restart ``process`` (not yet confirmed)."""

        table: ProcessTable
        process: str

        @property
        def control(self) -> ProcessTable:
            return self.table

    @dataclass
    class StatusChanged(Message):
        """The overall status, the feed's state or its error changed."""

        table: ProcessTable
        overall: str | None
        """running, degraded or stopped; ``None`` until the first status."""
        state: str
        """The feed's state."""
        error: str | None
        """The feed's last failure as one line, while it is failing."""

        @property
        def control(self) -> ProcessTable:
            return self.table

    def __init__(
        self,
        client: AsyncDesktopClient | None,
        target: SandboxRef | None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``client`` and ``target`` name the desktop to follow; with ``None`` the table
        follows nothing and shows what is given to :meth:`apply_update`."""
        super().__init__(cursor_type="row", zebra_stripes=False, name=name, id=id, classes=classes)
        self.client = client
        self.target = target
        self.error: str | None = None
        self._rows: dict[str, _Row] = {}
        self._status: DesktopProcessStatusList | None = None
        self._received_at: float | None = None  # the feed's, to notice a new event
        self._event_seen_at: float | None = None  # our clock, when that event was applied
        self._retry_at: float | None = None
        self._reported: tuple[str | None, str, str | None] | None = None
        self._title: Content | str | None = None

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, width=width, key=key)
        self._show_feed()
        clock.every_second(self, self._show_feed)
        if self.client is not None and self.target is not None:
            self._follow_feed()

    # ── the feed ──

    @work(exclusive=True, group="feed", exit_on_error=False)
    async def _follow_feed(self) -> None:
        """Apply every update of the status feed; the feed itself never gives up."""
        assert self.client is not None and self.target is not None
        while True:
            try:
                async with StatusFeed(self.client, self.target) as feed:
                    async for update in feed:
                        self.apply_update(update)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The feed turns failures into updates; reaching here is a bug somewhere.
                self.error = report("status feed", exc)
                self.feed_state = "stale"
                self._show_feed()
            await asyncio.sleep(_FEED_RESTART_DELAY)

    def apply_update(self, update: FeedUpdate) -> None:
        """Show one feed update: rows change in place, the border says how fresh it is."""
        now = clock.monotonic()
        self.feed_state = update.state
        self.error = one_line(update.error) if update.error is not None else None
        self._retry_at = now + update.retry_in if update.retry_in is not None else None
        if update.received_at is not None and update.received_at != self._received_at:
            self._received_at = update.received_at
            self._event_seen_at = now
        if update.status is not None:
            self.apply_status(update.status)
        self._show_feed()

    def apply_status(self, status: DesktopProcessStatusList) -> None:
        """Update the rows from one status list (cursor and scroll position kept)."""
        self._status = status
        self.overall = status.status
        seen = set()
        for item in status.items:
            seen.add(item.name)
            self._track(item)
        for gone in [name for name in self._rows if name not in seen]:
            del self._rows[gone]
        sync_rows(self, {name: self._cells(name, row) for name, row in self._rows.items()})

    def _track(self, item: DesktopProcessStatus) -> None:
        """Take one process's status: note a change of state and count new pids."""
        row = self._rows.get(item.name)
        if row is None:
            row = _Row(running=item.running, pid=item.pid, since=clock.wall(), last_pid=item.pid)
            self._rows[item.name] = row
            return
        state_changed = item.running != row.running
        if state_changed:
            row.running = item.running
            row.since = clock.wall()
        if item.pid != row.pid:
            row.pid = item.pid
            if item.pid is not None:
                if row.last_pid is not None and item.pid != row.last_pid:
                    row.restarts += 1
                    if not state_changed:
                        row.since = clock.wall()
                row.last_pid = item.pid

    def mark_restarting(self, process: str, restarting: bool = True) -> None:
        """Show (or stop showing) that a restart of ``process`` is under way."""
        row = self._rows.get(process)
        if row is None or row.restarting == restarting:
            return
        row.restarting = restarting
        self.update_cell(process, "state", self._state_cell(row))

    def process_row(self, process: str) -> tuple[bool, int | None, int] | None:
        """``(running, pid, restarts seen)`` of one process as shown, if it has a row."""
        row = self._rows.get(process)
        return (row.running, row.pid, row.restarts) if row is not None else None

    @property
    def stopped_processes(self) -> list[str]:
        """Names of the processes shown as not running."""
        return [name for name, row in self._rows.items() if not row.running]

    @property
    def highlighted_process(self) -> str | None:
        """The name of the process under the cursor, if any."""
        return cursor_key(self)

    # ── actions ──

    def action_restart_process(self) -> None:
        process = self.highlighted_process
        if process is not None:
            self.post_message(self.RestartRequested(self, process))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "restart_process":
            return self.highlighted_process is not None and self.client is not None
        return True

    # ── watchers ──

    def watch_overall(self, overall: str | None) -> None:
        self.set_class(overall == "degraded", "-degraded")
        self.set_class(overall == "stopped", "-stopped")

    def watch_feed_state(self, state: str) -> None:
        self.set_class(state in STALE_STATES, "-stale")

    # ── rendering ──

    def _cells(self, name: str, row: _Row) -> tuple[Text | str, ...]:
        return (
            name,
            self._state_cell(row),
            str(row.pid) if row.pid is not None else "—",
            clock.clock_text(row.since),
            str(row.restarts),
        )

    def _state_cell(self, row: _Row) -> Text:
        if row.restarting:
            return Text("◌ restarting", style=foreground_style(self, "process-table--restarting"))
        if row.running:
            return Text("● running", style=foreground_style(self, "process-table--running"))
        return Text("○ stopped", style=foreground_style(self, "process-table--stopped"))

    def _show_feed(self) -> None:
        """Refresh the border: overall status (title), feed state and age (subtitle)."""
        status = self._status
        title: Content | str
        if status is None:
            title = "Processes"
        else:
            colour = {"running": "$text-success", "degraded": "$text-warning"}.get(
                status.status, "$text-error"
            )
            title = Content.assemble(
                "Processes · " if self.is_current else "Processes · last known: ",
                (status.status, colour),
                f" {status.running}/{status.total}",
            )
        if title != self._title:
            self._title = title
            self.border_title = title
        subtitle = self._feed_text()
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
        key = (self.overall, self.feed_state, self.error)
        if key != self._reported:
            self._reported = key
            self.post_message(self.StatusChanged(self, *key))

    @property
    def is_current(self) -> bool:
        """Whether the rows are what the desktop says now: not while the feed reconnects or
        is stale, when they are only the last known states."""
        return self.feed_state not in STALE_STATES

    @property
    def last_event_text(self) -> str:
        """``"last event N s ago"``, or ``"no event yet"``."""
        if self._event_seen_at is None:
            return "no event yet"
        return f"last event {clock.age_text(clock.monotonic() - self._event_seen_at)} ago"

    def _feed_text(self) -> str:
        state = self.feed_state
        if state == "connecting":
            return "connecting…"
        if state == "reconnecting" and self._retry_at is not None:
            return f"reconnecting in {max(0, round(self._retry_at - clock.monotonic()))} s"
        return str(state)
