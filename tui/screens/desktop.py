"""One desktop at a glance: processes, preview, logs, recordings, display and windows.

On a terminal of 110x32 cells or more every pane is on screen at once: a grid (see
``styles/desktop.tcss``) whose preview is sized to the desktop's aspect and takes what the
other panes can spare (:mod:`tui.screens.desktop_layout`). Below that the screen gets the
``-compact`` class: a row of tabs appears and one pane at a time fills the screen. ``z``
zooms the preview to the whole screen (``-zoomed``) and back. Panes that are not shown stop
fetching (their widgets follow Show and Hide), except the process table, whose feed always
runs.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Header, Static, Tab, Tabs

from core.config import Settings
from tui import clock
from tui.browser import has_graphical_browser, open_in_browser
from tui.failures import report
from tui.graphics import cell_size
from tui.screens.confirm import ConfirmScreen
from tui.screens.desktop_layout import wide_layout
from tui.widgets.display_info import DisplayInfo
from tui.widgets.key_footer import KeyFooter
from tui.widgets.log_viewer import LogViewer
from tui.widgets.process_table import ProcessTable
from tui.widgets.recording_player import RecordingPlayer
from tui.widgets.recordings import RecordingsBrowser
from tui.widgets.screen_preview import ScreenPreview
from tui.widgets.status_line import StatusLine
from tui.widgets.window_list import WindowList

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient, SandboxRef

__all__ = ["PANES", "DesktopScreen"]

PANES: tuple[tuple[str, str], ...] = (
    ("processes", "Processes"),
    ("preview", "Preview"),
    ("logs", "Logs"),
    ("recordings", "Recordings"),
)
"""Id and label of each pane, in tab order."""

COMPACT_WIDTH = 110
COMPACT_HEIGHT = 32
"""Below either size the panes are shown one at a time, behind tabs."""

DEFAULT_DESKTOP = (1440, 900)
"""The desktop's size in pixels until the display info says (a Leap0 desktop's default)."""


class DesktopScreen(Screen[None]):
    """Every pane for one desktop, fed by one client (the app's)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "o",
            "open_browser",
            "Open in browser",
            id="desktop.open_browser",
            tooltip="Open the desktop's viewer in a web browser (a single-use ticket)",
        ),
        Binding(
            "1", "show_pane('processes')", "Processes", id="desktop.pane.processes", show=False
        ),
        Binding("2", "show_pane('preview')", "Preview", id="desktop.pane.preview", show=False),
        Binding("3", "show_pane('logs')", "Logs", id="desktop.pane.logs", show=False),
        Binding(
            "4", "show_pane('recordings')", "Recordings", id="desktop.pane.recordings", show=False
        ),
        Binding(
            "i",
            "control_preview",
            "Control",
            show=False,
            id="desktop.control",
            tooltip="Control the desktop from the preview (mouse and keys); ctrl+] leaves",
        ),
        Binding(
            "z",
            "toggle_zoom",
            "Zoom",
            id="desktop.zoom",
            tooltip="Zoom the preview to the whole screen, and back",
        ),
        Binding(
            "escape",
            "close_desktop",
            "Fleet",
            id="desktop.close",
            tooltip="Back to the fleet, the cursor where it was",
        ),
    ]

    compact: reactive[bool] = reactive(False)
    """One pane at a time, behind tabs (a small terminal)."""

    pane: reactive[str] = reactive("processes")
    """The pane shown when compact (and focused by 1-4 either way)."""

    zoomed: reactive[bool] = reactive(False)
    """The preview fills the screen between the header and the footer (``z``)."""

    def __init__(
        self,
        client: AsyncDesktopClient,
        target: SandboxRef,
        settings: Settings,
        *,
        label: str,
        image_renderer: type[Widget] | None = None,
        preview_paused: bool = False,
        closable: bool = False,
    ) -> None:
        """``label`` names the desktop in the header. ``image_renderer`` is the
        textual-image widget class for the preview (default: the terminal's best);
        ``preview_paused`` starts the preview paused; ``closable`` lets Escape go back to
        the screen underneath (the fleet)."""
        super().__init__()
        self.client = client
        self.target = target
        self.settings = settings
        self.label = label
        self.image_renderer = image_renderer
        self.preview_paused = preview_paused
        self.closable = closable
        self._last_error: str | None = None
        self._failing = False
        self._last_overall: str | None = None
        self._log_viewers: dict[str, LogViewer] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Tabs(*(Tab(label, id=f"tab-{pane}") for pane, label in PANES), id="pane-tabs")
        with Container(id="panes"):
            with Vertical(id="side", classes="column"):
                with Vertical(id="pane-processes", classes="pane"):
                    yield ProcessTable(self.client, self.target, id="processes")
                    yield StatusLine(id="feed-age")
                    yield Static(id="feed-error", markup=False)
                    with Vertical(id="display"):
                        yield DisplayInfo(self.client, self.target, id="display-info")
                        yield WindowList(self.client, self.target, id="windows")
                with Vertical(id="pane-logs", classes="pane"), ContentSwitcher(id="logs"):
                    yield Static(
                        "Logs appear when the process list arrives.",
                        id="logs-waiting",
                        classes="placeholder",
                    )
            with Vertical(id="main", classes="column"):
                with Vertical(id="pane-preview", classes="pane"):
                    yield ScreenPreview(
                        self.client,
                        self.target,
                        self.settings,
                        renderer=self.image_renderer,
                        paused=self.preview_paused,
                        id="preview",
                    )
                with Vertical(id="pane-recordings", classes="pane"):
                    yield RecordingsBrowser(
                        self.client, self.target, self.settings, id="recordings"
                    )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "leap0"
        self.sub_title = self.label
        self.query_one("#logs", ContentSwitcher).current = "logs-waiting"
        self.query_one("#display").border_title = "Display"
        self.query_one("#pane-preview").border_title = "Preview"
        self.query_one("#pane-recordings").border_title = "Recordings"
        self.watch(self.query_one(DisplayInfo), "display_info", self._display_changed, init=False)
        self._layout_for(self.size.width, self.size.height)
        self.watch_pane(self.pane)
        self.query_one(ProcessTable).focus()
        self._show_feed_age()
        clock.every_second(self, self._show_feed_age)

    def _show_feed_age(self) -> None:
        """Tick the last event's age on its own line: cheap, where the table's border is not."""
        self.query_one("#feed-age", StatusLine).show(self.query_one(ProcessTable).last_event_text)

    def on_resize(self) -> None:
        self._layout_for(self.size.width, self.size.height)

    def _display_changed(self) -> None:
        self._layout_for(self.size.width, self.size.height)

    def _layout_for(self, width: int, height: int) -> None:
        """Compact below the threshold; else size the grid for the preview."""
        self.compact = width < COMPACT_WIDTH or height < COMPACT_HEIGHT
        if self.compact:
            return
        info = self.query_one(DisplayInfo).display_info
        desktop = (info.width, info.height) if info is not None else DEFAULT_DESKTOP
        layout = wide_layout((width, height), desktop, cell_size())
        self.query_one("#panes").styles.grid_columns = layout.grid_columns
        self.query_one("#main").styles.grid_rows = layout.grid_rows

    # ── watchers ──

    def watch_compact(self, compact: bool) -> None:
        self.set_class(compact, "-compact")

    def watch_zoomed(self, zoomed: bool) -> None:
        self.set_class(zoomed, "-zoomed")

    def watch_pane(self, pane: str) -> None:
        for name, _ in PANES:
            with _quietly():
                self.query_one(f"#pane-{name}").set_class(name == pane, "-current")
        for column in self.query(".column"):
            column.set_class(bool(column.query(f"#pane-{pane}")), "-current")
        with _quietly():
            tabs = self.query_one("#pane-tabs", Tabs)
            if tabs.active != f"tab-{pane}":
                tabs.active = f"tab-{pane}"

    # ── actions ──

    def action_show_pane(self, pane: str) -> None:
        """Show ``pane`` (compact) and put the focus in it, before the next key is read.

        Typed fast, "4R" must record: the pane's class (and so its display) changes at once,
        and the focus is set now, not with ``Widget.focus``, which waits its turn behind
        keys already read.
        """
        self.pane = pane
        if pane != "preview":
            self.zoomed = False
        with _quietly():
            container = self.query_one(f"#pane-{pane}")
            # The focus chain holds only what is displayed (not the hidden log viewers).
            for widget in self.focus_chain:
                if container in widget.ancestors:
                    self.set_focus(widget)
                    return

    def action_control_preview(self) -> None:
        """Show the preview and enter control mode (a recording playing is closed first)."""
        for player in self.query(RecordingPlayer):
            self._close_player(player)
        self.action_show_pane("preview")
        self.query_one(ScreenPreview).action_control()

    def action_toggle_zoom(self) -> None:
        """The preview over every other pane, and back; the focus goes with it."""
        self.zoomed = not self.zoomed
        if self.zoomed:
            self.pane = "preview"  # compact too: the preview's tab is the one shown
            self.set_focus(self.query_one(ScreenPreview))

    def action_open_browser(self) -> None:
        self._open_browser()

    def action_close_desktop(self) -> None:
        if self.closable:
            self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_desktop":
            return self.closable
        return True

    @work(exclusive=True, group="browser", exit_on_error=False)
    async def _open_browser(self) -> None:
        try:
            url = await self.client.viewer_url(self.target)
        except Exception as exc:
            self.notify(report("desktop URL", exc), severity="error", markup=False)
            return
        if await asyncio.to_thread(open_in_browser, url):
            self.notify("Opened the desktop viewer in your browser.", timeout=4)
            return
        self.app.copy_to_clipboard(url)
        why = (
            "Could not start a browser" if has_graphical_browser() else "No graphical browser here"
        )
        self.notify(
            f"{why}. Open {url} within a minute (copied to the clipboard).",
            title="Desktop viewer",
            severity="warning",
            timeout=20,
            markup=False,
        )

    # ── events from the panes ──

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id:
            self.pane = event.tab.id.removeprefix("tab-")

    @on(DataTable.RowHighlighted, "#processes")
    def _process_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show_logs(event.row_key.value)

    @on(RecordingsBrowser.PlayRequested)
    async def _play_requested(self, event: RecordingsBrowser.PlayRequested) -> None:
        """Play the recording in the preview pane, in place of the live preview."""
        event.stop()
        if event.recording_id is None:
            return
        for old in self.query(RecordingPlayer):
            await old.remove()
        try:
            url, headers = self.client.recording_source(self.target, event.recording_id)
        except Exception as exc:  # a recording id or desktop the client refuses
            self.notify(f"Cannot play: {report('play', exc)}", severity="error", markup=False)
            return
        preview = self.query_one(ScreenPreview)
        preview.leave_control()
        player = RecordingPlayer(
            url, headers=headers, title=event.recording_id, renderer=preview.renderer
        )
        preview.display = False
        await self.query_one("#pane-preview").mount(player)
        self.pane = "preview"
        self.set_focus(player)

    @on(RecordingPlayer.Closed)
    def _player_closed(self, event: RecordingPlayer.Closed) -> None:
        event.stop()
        self._close_player(event.player)
        self.action_show_pane("recordings")

    def _close_player(self, player: RecordingPlayer) -> None:
        player.remove()
        self.query_one(ScreenPreview).display = True

    @on(ProcessTable.StatusChanged)
    def _status_changed(self, event: ProcessTable.StatusChanged) -> None:
        event.stop()
        self._show_feed_age()  # the first event should not wait for the next tick
        self._show_feed_error(event.error, event.state)
        if event.overall != self._last_overall:
            previous, self._last_overall = self._last_overall, event.overall
            if previous is not None and event.overall in ("degraded", "stopped"):
                down = ", ".join(event.table.stopped_processes) or "processes"
                self.notify(
                    f"{down} stopped on {self.label} ({event.overall})",
                    severity="warning",
                    markup=False,
                )
            elif previous in ("degraded", "stopped") and event.overall == "running":
                self.notify(f"{self.label}: all processes running again", timeout=4)
        if event.overall is not None:
            known = event.overall if event.table.is_current else f"last known: {event.overall}"
            self.sub_title = f"{self.label} · {known}"
            table = event.table
            process = table.highlighted_process
            if not self._log_viewers and process is not None:
                self._show_logs(process)

    @on(ProcessTable.RestartRequested)
    def _restart_requested(self, event: ProcessTable.RestartRequested) -> None:
        event.stop()
        process = event.process

        def answered(yes: bool | None) -> None:
            if yes:
                self._restart(process)

        extra = ""
        if process == "xvfb":
            extra = " Everything drawing on the display goes down with it for a moment."
        self.app.push_screen(
            ConfirmScreen(
                f"Restart {process}?",
                f"{process} on {self.label} will be stopped and started again.{extra}",
                confirm_label="Restart",
                variant="warning",
            ),
            answered,
        )

    @work(group="restart", exit_on_error=False)
    async def _restart(self, process: str) -> None:
        table = self.query_one(ProcessTable)
        table.mark_restarting(process)
        try:
            result = await self.client.restart_process(self.target, process)
        except Exception as exc:
            self.notify(
                f"Restart of {process} failed: {report('restart ' + process, exc)}",
                severity="error",
                markup=False,
            )
        else:
            pid = result.status.pid if result.status is not None else None
            detail = f" (pid {pid})" if pid is not None else ""
            self.notify(f"{process} restarted{detail}", timeout=4, markup=False)
        finally:
            table.mark_restarting(process, False)

    # ── helpers ──

    def _show_feed_error(self, error: str | None, state: str) -> None:
        """The feed's failure on its own line (and once as a toast); a toast when statuses
        flow again after a failure."""
        line = self.query_one("#feed-error", Static)
        line.set_class(error is not None, "-shown")
        line.tooltip = error
        if error is not None:
            line.update(f"⚠ {error}")
            if error != self._last_error:
                self.notify(error, title="Status feed", severity="error", markup=False)
            self._failing = True
        elif self._failing and state in ("live", "polling"):
            self._failing = False
            self.notify(f"{self.label} is reachable again.", timeout=6, markup=False)
        self._last_error = error

    def _show_logs(self, process: str) -> None:
        """Show the log viewer of ``process``, made the first time it is asked for."""
        switcher = self.query_one("#logs", ContentSwitcher)
        viewer = self._log_viewers.get(process)
        if viewer is None:
            viewer = LogViewer(
                self.client,
                self.target,
                process,
                save_dir=self.settings.download_dir,
                id=f"log-{process}",
            )
            self._log_viewers[process] = viewer
            switcher.add_content(viewer, set_current=True)
        elif switcher.current != viewer.id:
            switcher.current = viewer.id


class _quietly:
    """Ignore a missing widget (during compose or teardown)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        return kind is not None and issubclass(kind, NoMatches)
