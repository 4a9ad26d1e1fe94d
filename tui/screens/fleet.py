"""The fleet: every desktop the user can reach, its health at a glance, trouble on top.

Wires :class:`core.sandbox_watch.SandboxWatch` (the account's sandboxes, page by page),
:class:`core.fleet_targets.FleetTargets` (sandboxes, desktop-host profiles, local desktops)
and :class:`core.fleet.Fleet` (their health through one client) to a
:class:`tui.widgets.fleet_table.FleetTable`. Rows are computed again only for desktops whose
report changed; ages move on the once-a-second tick for the rows on screen only. While a
desktop screen is open over it, the fleet lists less often and renders nothing. ``t`` shows
the same rows as a :class:`tui.widgets.fleet_grid.FleetGrid` of live thumbnails instead;
the grid's cursor moves the table's, so every action reads the one cursor.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Static

from core.config import ConfigFile, Settings
from core.errors import Leap0Error
from core.fleet import Fleet
from core.fleet_alerts import Alert, alerts_between
from core.fleet_health import DesktopReport, reason_for
from core.fleet_targets import FleetTarget, FleetTargets, SandboxRefFor
from core.models import PROCESS_NAMES
from core.sandbox_watch import ListingUpdate, SandboxWatch
from tui import clock
from tui.alerts import deliver
from tui.failures import report as failure_line
from tui.fleet_view import FleetView, counts_line, next_sort
from tui.heap import SettledHeap
from tui.widgets._style import foreground_style
from tui.widgets.fleet_grid import FleetGrid
from tui.widgets.fleet_table import Cells, FleetTable
from tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient

__all__ = ["FleetScreen"]

MAX_ALERTS = 200
"""Alerts kept for ``a``."""

BATCH_INTERVAL = 0.25
"""Seconds between two batches of the fleet's reports at least: each batch sorts every row
again (about 10 ms at 5,000)."""

PAGE_INTERVAL = 0.5
"""Seconds between two pages of a listing taken into the rows: each page's update holds
every row listed so far, and taking one in (5,000 targets merged, compared, sorted) costs
tens of milliseconds. The first page and the end of a listing are always taken; after the
first listing, and behind a desktop screen, only the end."""

BEHIND_POLL_RATE = 2.0
"""Polls a second at most while a desktop screen is open over the fleet (the fleet's own
limit is 20): the rows are not on screen, the alerts still come (50 desktops: each every
25 s). Each poll costs the process about a millisecond of CPU, and the goal for the fleet
behind a desktop is a fraction of 1 % of a core."""

BEHIND_STREAMS = 1
"""Desktops streamed while a desktop screen is open over the fleet (64 on screen): the open
one (``set_priority``); the rest are polled. Streams for those in trouble, as on screen,
are no use there (an alert is a desktop going into trouble, which the polls see) and each
costs a connection attempt and its back-off."""

BULK_CONCURRENCY = 8
"""Desktops a bulk action (restart, recording) calls at once."""

_PROCESS_MARKS = {True: "●", False: "○", None: "·"}
_RECORDING_MARKS = {True: "●", False: "", None: "·"}
"""Recording, not, not known yet (a polled desktop's recording is checked only once it is
streamed: see ``core.fleet.Fleet``)."""


class FleetScreen(Screen[None]):
    """One row per desktop; ``enter`` opens one, escape there comes back here."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fleet--running",
        "fleet--degraded",
        "fleet--unhealthy",
        "fleet--unreachable",
        "fleet--unknown",
        "fleet--down",
        "fleet--mark",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="fleet.filter", tooltip="Filter as you type"),
        Binding(
            "exclamation_mark",
            "trouble_only",
            "Trouble",
            id="fleet.trouble",
            tooltip="Show only the desktops with trouble (or all again)",
        ),
        Binding(
            "s", "cycle_sort", "Sort", id="fleet.sort", tooltip="Sort by health, newest, id, state"
        ),
        Binding("space", "toggle_mark", "Mark", id="fleet.mark", tooltip="Mark or unmark the row"),
        Binding(
            "r",
            "restart_process",
            "Restart",
            id="fleet.restart",
            tooltip="Restart a process on the marked desktops (or the highlighted one)",
        ),
        Binding(
            "R",
            "recording",
            "Record",
            id="fleet.record",
            tooltip="Start or stop recording on the marked desktops (or the highlighted one)",
        ),
        Binding("a", "show_alerts", "Alerts", id="fleet.alerts", tooltip="The recent alerts"),
        Binding(
            "ctrl+r",
            "refresh_list",
            "Refresh",
            id="fleet.refresh",
            tooltip="List the sandboxes again now (or right after the listing in progress)",
        ),
        Binding(
            "enter",
            "open_desktop",
            "Open",
            id="fleet.open",
            tooltip="Open the highlighted desktop",
        ),
        Binding(
            "t",
            "toggle_grid",
            "Thumbnails",
            id="fleet.thumbnails",
            tooltip="Show the desktops as a grid of live thumbnails, or as the table",
        ),
    ]

    def __init__(
        self,
        client: AsyncDesktopClient,
        settings: Settings,
        *,
        image_renderer: type[Widget] | None = None,
        sandbox_ref: SandboxRefFor | None = None,
        local: Mapping[str, tuple[str, str | None]] | None = None,
        fleet: Callable[[AsyncDesktopClient], Fleet] | None = None,
        watch: SandboxWatch | None = None,
    ) -> None:
        """``sandbox_ref`` says where a listed sandbox's desktop answers (default: its id,
        ``https://{id}.{sandbox_domain}``); ``local`` names the local desktops (name ->
        (url, token)); ``fleet`` and ``watch`` replace the default followers (timings)."""
        super().__init__()
        self.client = client
        self.settings = settings
        self.image_renderer = image_renderer
        self._targets = FleetTargets(sandbox_ref)
        self._targets.set_profiles(ConfigFile(profiles=settings.desktop_profiles))
        self._targets.set_local(dict(local or {}))
        # The fleet's and the watcher's times are time.monotonic(), which tui.clock's is
        # too: a test that freezes tui.clock freezes neither (the fleet schedules by it).
        self._make_fleet = fleet or partial(Fleet, batch_interval=BATCH_INTERVAL)
        self._watch = watch
        if self._watch is None and settings.api_key:
            self._watch = SandboxWatch(client.transport)
        self._fleet: Fleet | None = None
        self._heap = SettledHeap()
        """The fleet's objects, kept out of the garbage collector's full walks (about
        100 ms each at 5,000 sandboxes, a stall once a minute): see :mod:`tui.heap`."""
        self._reports: dict[str, DesktopReport] = {}
        self._changed: set[str] = set()
        """Desktops whose row has changed since it was last shown."""
        self._known: dict[str, FleetTarget] = {}
        """The targets as last shown."""
        self._targets_changed = True
        self._reorder = True
        self._order: list[str] = []
        self._position: dict[str, int] = {}
        self._everything_changed = True
        self._listing: ListingUpdate | None = None
        self.view = FleetView()
        self.marks: set[str] = set()
        self.alerts: deque[Alert] = deque(maxlen=MAX_ALERTS)
        self._active = True
        self._pace: tuple[float, int] | None = None
        """The fleet's poll rate and streams while on screen (when a desktop is open)."""
        self._open_key: str | None = None
        self._said: dict[str | None, str] = {}
        """What each status line shows (by id)."""
        """The desktop last opened from the fleet (streamed first while it is open)."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static("", id="fleet-counts", markup=False)
        yield Static("", id="fleet-listing", markup=False)
        # Not selected on focus: keys typed right behind "/" may be in it before the focus
        # lands, and the next key would replace them.
        yield Input(
            placeholder="filter: id, name, template, state, health",
            select_on_focus=False,
            id="fleet-filter",
        )
        yield FleetTable(cells_for=self._visible_cells, id="fleet")
        yield FleetGrid(
            self.client,
            renderer=self.image_renderer,
            graphics=self.settings.graphics,
            id="fleet-grid",
        )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "leap0"
        self.sub_title = "fleet"
        self.query_one("#fleet-filter", Input).display = False
        self.query_one(FleetGrid).display = False
        self.query_one(FleetTable).focus()
        clock.every_second(self, self._tick)
        self._heap.start()
        self._follow_fleet()
        if self._watch is not None:
            self._follow_listing()
        self._render_rows()

    # ── following ──

    @work(group="fleet", exit_on_error=False)
    async def _follow_fleet(self) -> None:
        try:
            async with self._make_fleet(self.client) as fleet:
                self._fleet = fleet
                fleet.set_targets(self._targets.targets().values())
                async for batch in fleet.changes():
                    self._take(batch)
        except Exception as exc:  # a bug: one line on screen, the traceback in the log
            self.notify(failure_line("follow the desktops", exc), severity="error", markup=False)

    @work(group="listing", exit_on_error=False)
    async def _follow_listing(self) -> None:
        assert self._watch is not None
        try:
            await self._take_listings(self._watch)
        except Exception as exc:  # a bug: one line on screen, the traceback in the log
            self.notify(failure_line("list the sandboxes", exc), severity="error", markup=False)

    async def _take_listings(self, watch: SandboxWatch) -> None:
        applied = float("-inf")
        async for update in watch.updates():
            self._listing = update
            now = clock.monotonic()
            # Pages are taken in as they come only on the first listing (the rows fill in);
            # a later one's rows are taken in at its end, as they are behind a desktop.
            if update.listing and (
                not self._active or update.listed_at is not None or now - applied < PAGE_INTERVAL
            ):
                self._show_listing()  # its rows come with a later page (they add up)
                continue
            applied = now
            if self._targets.set_sandboxes(update.rows):
                self._targets_changed = True
                # Each step in a turn of the event loop of its own: at 5,000 new sandboxes
                # each takes about 20 ms, and a frame waits for none of them together.
                await asyncio.sleep(0)
                if self._fleet is not None:
                    self._fleet.set_targets(self._targets.targets().values())
                    await asyncio.sleep(0)
                self._render_rows()
                # The listing's objects are made and will live: frozen now, not walked by
                # the next full collection (88 ms at once on the first listing of 5,000).
                self._heap.freeze()
            self._show_listing()

    def _take(self, batch: list[DesktopReport]) -> None:
        """A batch of reports: alerts for what went wrong, then the rows."""
        now = clock.wall()
        targets = self._known
        for report in batch:
            old = self._reports.get(report.key)
            self._reports[report.key] = report
            self._changed.add(report.key)
            if old is None or old.health is not report.health:
                self._reorder = True  # the order, the filter and the counts depend on it
            target = targets.get(report.key)
            label = target.label if target is not None else report.key
            for alert in alerts_between(label, old, report, now):
                self.alerts.append(alert)
                deliver(self.app, alert, self.settings.alerts)
        self._render_rows()

    # ── rendering ──

    def _render_rows(self) -> None:
        """Make the table match the targets, the reports and the view (when on screen).

        Sorting every row is the costly part at 5,000 (about 10 ms): it is done only when
        the targets, the view or some desktop's health changed. Rows already shown are
        rebuilt where they are near the screen; the others when they come into view (the
        tick, or a scroll).
        """
        if not self._active:
            return
        table = self.query_one(FleetTable)
        if self._targets_changed:
            targets = self._targets.targets()
            known = self._known
            self._changed.update(k for k, t in targets.items() if known.get(k) != t)
            self._known = targets
            self._targets_changed = False
            self._reorder = True
            templates = any(
                t.sandbox is not None and t.sandbox.template_id for t in targets.values()
            )
            table.hide_columns(frozenset() if templates else frozenset({"template"}))
        targets = self._known
        if self._everything_changed:
            self._changed.update(targets)
            self._everything_changed = False
        if self._reorder:
            self._order = self.view.rows(targets, self._reports)
            self._position = {key: i for i, key in enumerate(self._order)}
        order = self._order
        cursor = table.cursor_desktop
        top = self._position.get(cursor, 0) if cursor is not None else 0
        height = table.size.height
        near = set(order[max(0, top - height) : top + 2 * height])
        near.update(table.visible_keys())
        # New rows get their cells when first drawn (FleetTable's cells_for).
        wanted = [k for k in self._changed if k in near and k in self._position]
        cells = {key: self._cells(targets[key]) for key in wanted}
        self._changed -= cells.keys()
        table.show(order, cells)
        grid = self.query_one(FleetGrid)
        if grid.display:
            grid.show(order, targets, self._reports, self.marks)
        if self._reorder:
            self._reorder = False
            self._show_counts()
        if self._fleet is not None:
            self._fleet.set_priority(self._on_screen())

    def _tick(self) -> None:
        # A due thaw waits until the terminal has lost the focus (Textual's app_focus).
        self._heap.tick(unseen=not self.app.app_focus)
        if not self._active:
            return
        table = self.query_one(FleetTable)
        table.refresh_visible(self._visible_cells)
        self._show_listing()
        if self._fleet is not None:
            self._fleet.set_priority(self._on_screen())

    def _on_screen(self) -> list[str]:
        """The desktops on screen, in the table or the grid (streamed first)."""
        grid = self.query_one(FleetGrid)
        return grid.visible_keys() if grid.display else self.query_one(FleetTable).visible_keys()

    def _visible_cells(self, key: str) -> Cells:
        self._changed.discard(key)
        return self._cells(self._known.get(key) or _gone(key))

    def _cells(self, target: FleetTarget) -> Cells:
        report = self._reports.get(target.key) or DesktopReport(target.key)
        health = Text(report.health.value, style=self._style(f"fleet--{report.health.value}"))
        processes = Text()
        for i, name in enumerate(PROCESS_NAMES):
            running = report.running(name)
            if i:
                processes.append(" ")
            down = running is False
            processes.append(
                _PROCESS_MARKS[running], style=self._style("fleet--down") if down else ""
            )
        # A heartbeat that changes nothing is not in a batch; the fleet keeps its time.
        live = self._fleet.report(target.key) if self._fleet is not None else None
        seen = _status_age(live.received_at if live is not None else report.received_at)
        sandbox = target.sandbox
        state = sandbox.state if sandbox is not None else target.source
        template = sandbox.template_id if sandbox is not None else ""
        age = (
            clock.age_text(clock.wall() - sandbox.created_at.timestamp())
            if sandbox is not None
            else ""
        )
        recording = _RECORDING_MARKS[report.recording]
        mark = Text("✓", style=self._style("fleet--mark")) if target.key in self.marks else ""
        return (
            mark,
            target.label,
            state,
            health,
            processes,
            str(report.restarts) if report.restarts else "",
            recording,
            seen,
            template,
            age,
            report.reason or "",
        )

    def _style(self, component: str) -> Style:
        return foreground_style(self, component)

    def _show_counts(self) -> None:
        line = counts_line(self._known, self._reports, len(self._order))
        if self.view.describe():
            line += f" ({self.view.describe()})"
        line += f" · sorted by {self.view.sort}"
        if self.marks:
            line += f" · {len(self.marks)} marked"
        self._say(self.query_one("#fleet-counts", Static), line)

    def _show_listing(self) -> None:
        status = self.query_one("#fleet-listing", Static)
        update = self._listing
        if self._watch is None:
            status.display = False
            return
        if update is None:
            self._say(status, "Listing sandboxes…")
            return
        now = clock.monotonic()
        parts = []
        if update.progress is not None:
            parts.append(f"listing {update.progress}")
        if update.error is not None:
            parts.append(f"⚠ {update.error}")
        if update.listed_at is not None:
            age = max(0.0, now - update.listed_at)
            when = "just now" if age < FRESH else f"{clock.age_text(age)} ago"
            parts.append(f"listed {when}" + (" (stale)" if update.stale else ""))
        if update.refused:
            parts.append("ctrl+r tries again")
        status.set_class(update.error is not None, "-failing")
        status.set_class(update.stale, "-stale")
        self._say(status, " · ".join(parts))

    def _say(self, line: Static, text: str) -> None:
        """Show ``text`` on ``line`` unless it shows it already. Both lines are one row
        high (``styles/fleet.tcss``), so a new text needs no new layout of the screen (the
        listing's age changes every second)."""
        if self._said.get(line.id) != text:
            self._said[line.id] = text
            line.update(text, layout=False)

    # ── while a desktop is open over the fleet ──

    def on_screen_suspend(self) -> None:
        self._active = False
        # Behind a desktop screen the fleet's objects barely change: frozen at once (not
        # only after the next full collection), thawed when the fleet is back.
        self._heap.freeze()
        if self._watch is not None:
            self._watch.set_slow(True)
        fleet = self._fleet
        if fleet is not None:
            self._pace = (fleet.max_poll_rate, fleet.max_streams)
            fleet.max_poll_rate = min(fleet.max_poll_rate, BEHIND_POLL_RATE)
            fleet.max_streams = min(fleet.max_streams, BEHIND_STREAMS)
            # A new priority chooses the streams again, with the new limit.
            fleet.set_priority([self._open_key] if self._open_key else [])

    def on_unmount(self) -> None:
        self._heap.stop()  # the app goes on without the fleet (or ends): nothing stays frozen

    def on_screen_resume(self) -> None:
        self._heap.thaw()
        self._active = True
        if self._watch is not None:
            self._watch.set_slow(False)
        if self._fleet is not None and self._pace is not None:
            self._fleet.max_poll_rate, self._fleet.max_streams = self._pace
            self._pace = None
        self._everything_changed = True
        if self.is_mounted:
            self._render_rows()
            self._show_listing()

    # ── keys ──

    def action_filter(self) -> None:
        field = self.query_one("#fleet-filter", Input)
        field.display = True
        field.focus()
        # Keys typed right after "/" are already on their way to the table (or the grid).
        self.query_one(FleetTable).forward_typing = True
        self.query_one(FleetGrid).forward_typing = True

    @on(FleetTable.FilterRequested)
    @on(FleetGrid.FilterRequested)
    def _filter_requested(
        self, event: FleetTable.FilterRequested | FleetGrid.FilterRequested
    ) -> None:
        event.stop()
        self.action_filter()

    @on(FleetTable.TypedAhead)
    @on(FleetGrid.TypedAhead)
    def _typed_ahead(self, event: FleetTable.TypedAhead | FleetGrid.TypedAhead) -> None:
        event.stop()
        field = self.query_one("#fleet-filter", Input)
        field.insert_text_at_cursor(event.character)
        field.focus()

    @on(Input.Changed, "#fleet-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._set_view(FleetView(self.view.sort, event.value, self.view.trouble_only))

    @on(Input.Submitted, "#fleet-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        field = self.query_one("#fleet-filter", Input)
        field.display = bool(field.value)
        self._back_to_rows()

    def key_escape(self) -> None:
        """Escape in the filter clears it and goes back to the rows."""
        field = self.query_one("#fleet-filter", Input)
        if field.has_focus or field.value:
            field.value = ""
            field.display = False
            self._back_to_rows()

    def _back_to_rows(self) -> None:
        table, grid = self.query_one(FleetTable), self.query_one(FleetGrid)
        table.forward_typing = grid.forward_typing = False
        (grid if grid.display else table).focus()

    def action_trouble_only(self) -> None:
        self._set_view(FleetView(self.view.sort, self.view.text, not self.view.trouble_only))

    def action_cycle_sort(self) -> None:
        self._set_view(FleetView(next_sort(self.view.sort), self.view.text, self.view.trouble_only))

    def _set_view(self, view: FleetView) -> None:
        self.view = view
        self._reorder = True
        self._render_rows()

    def action_toggle_mark(self) -> None:
        key = self.query_one(FleetTable).cursor_desktop
        if key is None:
            return
        self.marks ^= {key}
        self._changed.add(key)
        self._render_rows()
        self._show_counts()
        grid = self.query_one(FleetGrid)
        if grid.display:
            grid.action_cursor_right()
        else:
            self.query_one(FleetTable).action_cursor_down()

    def action_refresh_list(self) -> None:
        if self._watch is not None:
            self._watch.refresh()

    def action_show_alerts(self) -> None:
        from tui.screens.lines import LinesScreen

        lines = [f"{clock.clock_text(a.at)}  {a.line}" for a in reversed(self.alerts)]
        self.app.push_screen(
            LinesScreen("Recent alerts", lines, empty="No alerts since the fleet opened.")
        )

    def action_open_desktop(self) -> None:
        key = self.query_one(FleetTable).cursor_desktop
        if key is not None:
            self._open(key)

    @on(FleetTable.RowSelected, "#fleet")
    def _row_selected(self, event: FleetTable.RowSelected) -> None:
        event.stop()
        self._open(event.key)

    # ── the thumbnails grid ──

    def action_toggle_grid(self) -> None:
        """``t``: the grid instead of the table, or back; the same desktop stays selected."""
        table, grid = self.query_one(FleetTable), self.query_one(FleetGrid)
        key = table.cursor_desktop
        to_grid = not grid.display
        grid.display, table.display = to_grid, not to_grid
        if to_grid:
            grid.show(self._order, self._known, self._reports, self.marks)
            grid.move_to(key)
            grid.focus()
        else:
            self._everything_changed = True
            self._render_rows()
            table.focus()
            if key is not None:
                self.call_after_refresh(table.move_to, key)
        if self._fleet is not None:
            self._fleet.set_priority(self._on_screen())

    @on(FleetGrid.CursorMoved, "#fleet-grid")
    def _grid_cursor_moved(self, event: FleetGrid.CursorMoved) -> None:
        """The table's cursor follows the grid's: every action reads the table's."""
        event.stop()
        self.query_one(FleetTable).move_to(event.key)

    @on(FleetGrid.TileSelected, "#fleet-grid")
    def _tile_selected(self, event: FleetGrid.TileSelected) -> None:
        event.stop()
        self._open(event.key)

    def _open(self, key: str) -> None:
        from tui.screens.desktop import DesktopScreen

        target = self._targets.targets().get(key)
        if target is None:
            return
        if not target.followable:
            self.notify(
                f"{target.label}: {target.reason}; its desktop may not answer.",
                severity="warning",
                markup=False,
            )
        self._open_key = key
        self.app.push_screen(
            DesktopScreen(
                self.client,
                target.ref,
                self.settings,
                label=target.label,
                image_renderer=self.image_renderer,
                closable=True,
            )
        )

    # ── bulk actions on the marked rows ──

    def _chosen(self) -> list[FleetTarget]:
        """The marked desktops (those still listed), else the highlighted one."""
        targets = self._targets.targets()
        keys = [k for k in self.query_one(FleetTable).order if k in self.marks]
        if not keys:
            key = self.query_one(FleetTable).cursor_desktop
            keys = [key] if key is not None else []
        return [targets[k] for k in keys if k in targets]

    def action_restart_process(self) -> None:
        self._restart(self._chosen())

    def action_recording(self) -> None:
        self._record(self._chosen())

    @work(group="bulk", exclusive=True, exit_on_error=False)
    async def _restart(self, chosen: list[FleetTarget]) -> None:
        from tui.screens.choice import ChoiceScreen

        if not chosen:
            return
        process = await self.app.push_screen_wait(
            ChoiceScreen(
                f"Restart which process on {_desktops(len(chosen))}?",
                [(name, name) for name in PROCESS_NAMES],
            )
        )
        if process is None or not await self._confirm(f"Restart {process} on", chosen):
            return

        async def restart(target: FleetTarget) -> str:
            done = await self.client.restart_process(target.ref, process, http_timeout=30.0)
            pid = done.status.pid if done.status is not None else None
            return f"restarted (pid {pid})" if pid else "restarted"

        await self._each(f"Restart {process}", chosen, restart)

    @work(group="bulk", exclusive=True, exit_on_error=False)
    async def _record(self, chosen: list[FleetTarget]) -> None:
        from tui.screens.choice import ChoiceScreen

        if not chosen:
            return
        what = await self.app.push_screen_wait(
            ChoiceScreen(
                f"Recording on {_desktops(len(chosen))}",
                [("start", "start recording"), ("stop", "stop recording")],
            )
        )
        if what is None or not await self._confirm(f"{what.capitalize()} recording on", chosen):
            return

        async def record(target: FleetTarget) -> str:
            if what == "start":
                await self.client.start_recording(target.ref, http_timeout=30.0)
            else:
                await self.client.stop_recording(target.ref, http_timeout=30.0)
            if self._fleet is not None:
                self._fleet.note_recording(target.key, what == "start")
            return "recording" if what == "start" else "stopped"

        await self._each(f"{what.capitalize()} recording", chosen, record)

    async def _confirm(self, question: str, chosen: list[FleetTarget]) -> bool:
        from tui.screens.confirm import ConfirmScreen

        names = ", ".join(t.label for t in chosen[:5]) + (" …" if len(chosen) > 5 else "")
        answer: bool = await self.app.push_screen_wait(
            ConfirmScreen(f"{question} {_desktops(len(chosen))}?", names)
        )
        return answer

    async def _each(
        self,
        title: str,
        chosen: list[FleetTarget],
        act: Callable[[FleetTarget], Awaitable[str]],
    ) -> None:
        """Run ``act`` on every desktop (a few at a time) and show each one's result."""
        from tui.screens.lines import LinesScreen

        slots = asyncio.Semaphore(BULK_CONCURRENCY)

        async def one(target: FleetTarget) -> str:
            async with slots:
                try:
                    said = await act(target)
                except Leap0Error as exc:
                    said = f"failed: {reason_for(exc)}"
            return f"{target.label}: {said}"

        self.notify(f"{title} on {_desktops(len(chosen))}…", markup=False)
        lines = await asyncio.gather(*(one(t) for t in chosen))
        failed = sum(1 for line in lines if ": failed: " in line)
        summary = f"{title}: {len(chosen) - failed} of {len(chosen)} done"
        self.app.push_screen(LinesScreen(summary, lines))


def _desktops(count: int) -> str:
    return f"{count} desktop{'s' if count != 1 else ''}"


def _gone(key: str) -> FleetTarget:
    """A row whose target left since the last render (its cells until the next one)."""
    return FleetTarget(key, key, key, "sandbox", followable=False, reason="gone")


FRESH = 10.0
"""A status younger than this is shown as ``now``: streams beat every 2 s and polls come
every 10 s, so a row does not repaint each second for a count that says nothing."""


def _status_age(received_at: float | None) -> str:
    if received_at is None:
        return "—"
    age = clock.monotonic() - received_at
    return "now" if age < FRESH else clock.age_text(age)
