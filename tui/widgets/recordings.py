"""A desktop's screen recordings: list, start, stop, download with progress, delete.

The list refreshes on an interval while shown and after every action; its rows change in
place (keyed by recording id), so the cursor stays where the user put it. Each download is
a :class:`DownloadRow` with its own worker and progress bar, so several run at once and
each can be cancelled on its own. A download never replaces a file: when the name is
taken it gets a new one (``name-1.mp4``) and the toast says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist
from textual.worker import Worker

from core.config import Settings
from core.errors import Leap0ConflictError
from core.formatting import format_bytes, format_created, format_duration
from core.models import DesktopRecordingSummary
from tui import clock
from tui.failures import one_line, report
from tui.files import file_name_for, free_path
from tui.screens.save_file import ask_where_to_save
from tui.widgets.download_row import DownloadRow
from tui.widgets.status_line import StatusLine
from tui.widgets.table_sync import cursor_key, sync_rows

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient

__all__ = ["RecordingsBrowser"]

REFRESH_INTERVAL = 3.0
"""Seconds between list refreshes while the browser is shown."""

LIST_TIMEOUT = 10.0
"""Seconds one listing may take before it counts as failed."""

_COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("id", "ID", 18),
    ("created", "Created", 11),
    ("size", "Size", 9),
    ("active", "Active", 6),
)
"""Key, label and width of each column: 52 cells with the cells' padding, so they and a
scroll bar fit the wide layout's recordings pane (54 cells) without a horizontal scroll.

Fixed widths, ID included (``rec_`` and a millisecond time stamp is 17 cells): an
auto-width column is sized only when the table is next idle, so the layout would jump
once after each listing (and snapshots caught it narrow)."""


class RecordingsBrowser(Widget):
    """The recordings on one desktop, with start, stop, download and delete."""

    DEFAULT_CSS = """
    RecordingsBrowser {
        width: 1fr;
        height: 1fr;
        layout: vertical;
    }
    RecordingsBrowser > #status {
        color: $text-muted;
    }
    RecordingsBrowser.-recording > #status {
        color: $text-error;
        text-style: bold;
    }
    RecordingsBrowser.-stale > #status {
        color: $text-warning;
    }
    RecordingsBrowser > DataTable {
        height: 1fr;
        min-height: 3;
    }
    RecordingsBrowser > #downloads {
        height: auto;
        max-height: 6;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "play",
            "Play",
            id="recordings.play",
            tooltip="Play the selected recording in the preview pane",
        ),
        Binding(
            "R",
            "start_recording",
            "Record",
            id="recordings.start",
            tooltip="Start recording the desktop's screen",
        ),
        Binding(
            "S",
            "stop_recording",
            "Stop rec",
            id="recordings.stop",
            tooltip="Stop the active screen recording",
        ),
        Binding(
            "d",
            "download",
            "Download",
            id="recordings.download",
            tooltip="Download the selected recording into the download directory",
        ),
        Binding(
            "D",
            "download_to",
            "Download to…",
            show=False,
            id="recordings.download_to",
            tooltip="Download the selected recording to a file you name; later downloads "
            "(d) go to its folder too",
        ),
        Binding(
            "x",
            "cancel_download",
            "Cancel download",
            show=False,
            id="recordings.cancel",
            tooltip="Cancel the selected recording's download",
        ),
        Binding(
            "delete",
            "delete",
            "Delete",
            key_display="del",
            id="recordings.delete",
            tooltip="Delete the selected recording (asks first)",
        ),
    ]

    recordings: reactive[tuple[DesktopRecordingSummary, ...]] = reactive((), always_update=True)
    """The recordings as last listed, in the desktop's order."""

    error: reactive[str | None] = reactive(None)
    """Why the last list refresh failed (one line), or ``None``."""

    busy: reactive[str | None] = reactive(None)
    """The start or stop under way (``"starting"``, ``"stopping"``), or ``None``."""

    @dataclass
    class _Changed(Message):
        """A recording changed (the messages below); ``control`` is the browser."""

        browser: RecordingsBrowser
        recording_id: str | None
        """The recording's id (``None`` when the desktop did not say which)."""

        @property
        def control(self) -> RecordingsBrowser:
            return self.browser

    class RecordingStarted(_Changed):
        """Recording started."""

    class RecordingStopped(_Changed):
        """The active recording was stopped and saved."""

    class RecordingDeleted(_Changed):
        """A recording was deleted on the desktop."""

    @dataclass
    class RecordingDownloaded(_Changed):
        """A recording was saved to ``path``."""

        path: Path

    class PlayRequested(_Changed):
        """``enter`` on a finished recording: play it (the screen plays it in the preview)."""

    def __init__(
        self,
        client: AsyncDesktopClient,
        target: Any,
        settings: Settings | None = None,
        *,
        refresh_interval: float = REFRESH_INTERVAL,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """The recordings of ``target``, managed through ``client``.

        ``settings.download_dir`` is where downloads go. ``refresh_interval`` is the
        seconds between list refreshes while shown (0: only after actions, and on
        :meth:`refresh_list`). The elapsed recording time is read through :mod:`tui.clock`,
        which snapshot tests freeze.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._client = client
        self._target = target
        self._settings = settings or Settings()
        self._refresh_interval = refresh_interval
        self._shown: dict[str, DesktopRecordingSummary] = {}
        self._download_dir: Path | None = None  # chosen with "Download to…"
        self._loaded = False
        self._refresh_worker: Worker[None] | None = None

    # ── composition ──

    def compose(self) -> ComposeResult:
        yield StatusLine("loading recordings…", id="status")
        table: DataTable[Any] = DataTable(id="table", cursor_type="row", zebra_stripes=True)
        for key, label, width in _COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield Vertical(id="downloads")

    def on_mount(self) -> None:
        self.query_one("#downloads").display = False
        clock.every_second(self, self._update_status)
        if self._refresh_interval > 0:
            self.set_interval(self._refresh_interval, self._refresh_if_shown)
        self.refresh_list()

    # ── public API ──

    @property
    def download_dir(self) -> Path:
        """Where ``d`` saves: the settings' directory, or the last one chosen with ``D``."""
        return self._download_dir or self._settings.download_dir

    @property
    def selected(self) -> DesktopRecordingSummary | None:
        """The recording under the cursor, if any."""
        key = cursor_key(self.query_one(DataTable))
        return None if key is None else self._shown.get(key)

    @property
    def downloads(self) -> list[DownloadRow]:
        return list(self.query(DownloadRow))

    def refresh_list(self) -> None:
        """List the recordings again now (replacing a listing under way, now out of date)."""
        # The method, not a coroutine: a listing replaced before it starts is then never
        # made (a coroutine made and dropped is a "never awaited" warning).
        self._refresh_worker = self.run_worker(
            self._refresh,
            name="list recordings",
            group="refresh",
            exclusive=True,
            exit_on_error=False,
        )

    def select(self, recording_id: str) -> None:
        """Move the cursor to ``recording_id``'s row."""
        table = self.query_one(DataTable)
        try:
            index = table.get_row_index(recording_id)
        except RowDoesNotExist:
            return
        table.move_cursor(row=index)

    # ── actions ──

    def action_start_recording(self) -> None:
        self._start_or_stop("starting", self._start, "start recording")

    def action_stop_recording(self) -> None:
        self._start_or_stop("stopping", self._stop, "stop recording")

    def _start_or_stop(
        self, busy: str, run: Callable[[], Coroutine[Any, Any, None]], name: str
    ) -> None:
        """Run ``run`` in a worker, unless a start or stop is under way already."""
        if self.busy:
            self.notify(f"Recording is already {self.busy}…", severity="warning", markup=False)
            return
        self.busy = busy
        self.run_worker(run(), name=name, exit_on_error=False)

    def action_download(self) -> None:
        recording = self._downloadable()
        if recording is None:
            return
        directory = self.download_dir
        wanted = file_name_for(recording)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = free_path(directory, wanted, self._download_paths())
        except OSError as exc:
            self._cannot_download_into(directory, exc)
            return
        self._start_download(recording, path)
        if path.name != wanted:
            self.notify(
                f"{wanted} already exists in {directory}: saving as {path.name}", markup=False
            )

    def action_download_to(self) -> None:
        recording = self._downloadable()
        if recording is not None:
            self._download_to(recording)

    def _downloadable(self) -> DesktopRecordingSummary | None:
        """The selected recording if it can be downloaded now; else say why not."""
        recording = self.selected
        if recording is None:
            self.notify("No recording selected", severity="warning", markup=False)
            return None
        if recording.active:
            self.notify(
                f"Recording {recording.id} is still being recorded: stop it (S) first",
                severity="warning",
                markup=False,
            )
            return None
        for row in self.downloads:
            if row.recording_id == recording.id and not row.finished:
                self.notify(
                    f"{recording.id} is already downloading", severity="warning", markup=False
                )
                return None
        return recording

    def _download_paths(self) -> list[Path]:
        """Files that downloads under way write to."""
        return [row.path for row in self.downloads if not row.finished]

    def _start_download(
        self, recording: DesktopRecordingSummary, path: Path, *, overwrite: bool = False
    ) -> None:
        downloads = self.query_one("#downloads")
        downloads.display = True
        downloads.mount(
            DownloadRow(
                self._client,
                self._target,
                recording.id,
                path,
                overwrite=overwrite,
                retry_seconds=self._settings.download_retry_seconds,
            )
        )

    def _cannot_download_into(self, directory: Path, exc: OSError) -> None:
        self.notify(
            f"Cannot download into {directory}: {report('download recording', exc)}",
            severity="error",
            markup=False,
        )

    @work(group="download-to", exit_on_error=False)
    async def _download_to(self, recording: DesktopRecordingSummary) -> None:
        """Ask where (and before replacing a file), then download there."""
        answer = await ask_where_to_save(
            self.app,
            f"Download {recording.id} to",
            self.download_dir / file_name_for(recording),
            replacing=f"recording {recording.id}",
        )
        if answer is None:
            self.notify("Not downloaded.", timeout=3)
            return
        path, overwrite = answer
        if path in self._download_paths():
            self.notify(f"{path.name} is being downloaded already", severity="warning")
            return
        try:
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        except OSError as exc:
            self._cannot_download_into(path.parent, exc)
            return
        self._start_download(recording, path, overwrite=overwrite)
        if path.parent != self.download_dir:
            self._download_dir = path.parent
            self.notify(f"Downloads go to {path.parent} from now on", markup=False)

    def action_cancel_download(self) -> None:
        recording = self.selected
        rows = [
            row
            for row in self.downloads
            if recording is not None and row.recording_id == recording.id and not row.finished
        ]
        if not rows:
            self.notify(
                "The selected recording is not downloading", severity="warning", markup=False
            )
            return
        for row in rows:
            row.action_cancel()

    def _finished_selection(self, refusal: str) -> DesktopRecordingSummary | None:
        """The selected recording when it is finished; else a warning and ``None``
        (``refusal`` says what an active one cannot be, e.g. "deleted")."""
        recording = self.selected
        if recording is None:
            self.notify("No recording selected", severity="warning", markup=False)
            return None
        if recording.active:
            self.notify(
                f"Recording {recording.id} is still being recorded and cannot be {refusal}: "
                "stop it (S) first",
                severity="warning",
                markup=False,
            )
            return None
        return recording

    def action_delete(self) -> None:
        recording = self._finished_selection("deleted")
        if recording is None:
            return
        from tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(
                    self._delete(recording.id), name="delete recording", exit_on_error=False
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Delete recording {recording.id}?",
                f"{file_name_for(recording)}, {format_bytes(recording.size_bytes)}. "
                "This cannot be undone.",
                confirm_label="Delete",
                variant="error",
            ),
            answered,
        )

    # ── handlers ──

    def on_show(self) -> None:
        if self._loaded:
            self.refresh_list()

    @on(DataTable.RowSelected, "#table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """``enter`` on a row plays it, unless it is still being written."""
        event.stop()
        self.action_play()

    def action_play(self) -> None:
        recording = self._finished_selection("played")
        if recording is None:
            return
        self.post_message(self.PlayRequested(self, recording.id))

    def on_download_row_finished(self, event: DownloadRow.Finished) -> None:
        event.stop()
        self.notify(
            f"Recording {event.recording_id} saved to {event.path}",
            title="Downloaded",
            markup=False,
        )
        self.post_message(self.RecordingDownloaded(self, event.recording_id, event.path))

    def on_download_row_failed(self, event: DownloadRow.Failed) -> None:
        event.stop()
        self.notify(f"Download failed: {event.message}", severity="error", markup=False)

    def on_download_row_cancelled(self, event: DownloadRow.Cancelled) -> None:
        event.stop()
        self.notify(f"Download of {event.recording_id} cancelled", markup=False)

    def on_descendant_blur(self) -> None:
        self._hide_empty_downloads()

    # ── watchers ──

    def watch_recordings(self, recordings: tuple[DesktopRecordingSummary, ...]) -> None:
        self._apply(recordings)
        self.set_class(any(r.active for r in recordings), "-recording")
        self._update_status()

    def watch_error(self) -> None:
        self.set_class(self.error is not None, "-stale")
        self._update_status()

    def watch_busy(self) -> None:
        self._update_status()

    # ── workers ──

    async def _refresh(self) -> None:
        try:
            listed = await self._client.recordings(self._target, http_timeout=LIST_TIMEOUT)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Log the first failure of an outage; the status line says it every time.
            self.error = one_line(exc) if self.error else report("list recordings", exc)
            return
        self._loaded = True
        self.error = None
        self.recordings = tuple(listed)

    async def _start(self) -> None:
        try:
            status = await self._client.start_recording(self._target)
        except Leap0ConflictError:
            self.notify(
                "A recording is already active: stop it (S) first", severity="warning", markup=False
            )
        except Exception as exc:
            line = report("start recording", exc)
            self.notify(f"Recording not started: {line}", severity="error", markup=False)
        else:
            self.notify(f"Recording {status.id or ''} started".replace("  ", " "), markup=False)
            self.post_message(self.RecordingStarted(self, status.id))
            await self._refresh()
            if status.id:
                self.select(status.id)
        finally:
            self.busy = None

    async def _stop(self) -> None:
        try:
            status = await self._client.stop_recording(self._target)
        except Leap0ConflictError:
            self.notify("No recording is active", severity="warning", markup=False)
        except Exception as exc:
            line = report("stop recording", exc)
            self.notify(f"Recording not stopped: {line}", severity="error", markup=False)
        else:
            self.notify(
                f"Recording {status.id or ''} stopped and saved".replace("  ", " "), markup=False
            )
            self.post_message(self.RecordingStopped(self, status.id))
            await self._refresh()
        finally:
            self.busy = None

    async def _delete(self, recording_id: str) -> None:
        try:
            await self._client.delete_recording(self._target, recording_id)
        except Leap0ConflictError:
            self.notify(
                f"Recording {recording_id} is active and cannot be deleted: stop it (S) first",
                severity="warning",
                markup=False,
            )
        except Exception as exc:
            line = report(f"delete recording {recording_id}", exc)
            self.notify(f"Recording not deleted: {line}", severity="error", markup=False)
        else:
            self.notify(f"Recording {recording_id} deleted", markup=False)
            self.post_message(self.RecordingDeleted(self, recording_id))
        await self._refresh()

    # ── helpers ──

    def _refresh_if_shown(self) -> None:
        """The periodic refresh: only while shown, and never on top of one still waiting
        (replacing it would hide a desktop that stopped answering behind endless retries)."""
        try:
            shown = self.screen.is_current and self.is_on_screen
        except Exception:
            shown = False
        worker = self._refresh_worker
        if shown and (worker is None or worker.is_finished):
            self.refresh_list()

    def _apply(self, recordings: Iterable[DesktopRecordingSummary]) -> None:
        """Bring the table in line with ``recordings``, changing only what changed."""
        self._shown = {r.id: r for r in recordings}
        rows = {recording_id: self._cells(r) for recording_id, r in self._shown.items()}
        table = self.query_one(DataTable)
        sync_rows(table, rows)
        _keep_order(table, list(rows))

    @staticmethod
    def _cells(recording: DesktopRecordingSummary) -> tuple[str | Text, ...]:
        return (
            recording.id,
            format_created(recording.created_at),
            Text(format_bytes(recording.size_bytes), justify="right"),
            Text("● REC", style="bold red") if recording.active else Text(""),
        )

    def _hide_empty_downloads(self) -> None:
        downloads = self.query_one("#downloads")
        if not downloads.children:
            downloads.display = False

    def _status_text(self) -> str:
        active = next((r for r in self.recordings if r.active), None)
        parts: list[str] = []
        if self.busy:
            parts.append(f"{self.busy} recording…")
        elif active is not None:
            since = ""
            if active.created_at is not None:
                elapsed = clock.wall() - active.created_at.timestamp()
                since = f" for {format_duration(elapsed)}"
            parts.append(f"● recording {active.id}{since} (S stops)")
        elif self._loaded:
            parts.append("not recording (R starts)")
        if self._loaded:
            count = len(self.recordings)
            parts.append(f"{count} recording{'' if count == 1 else 's'}")
        if self.error:
            parts.insert(0, ("stale: " if self._loaded else "") + self.error)
        elif not self._loaded:
            parts.append("loading recordings…")
        return " · ".join(parts)

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        self.query_one("#status", StatusLine).show(self._status_text())
        self._hide_empty_downloads()


def _keep_order(table: DataTable[Any], order: list[str]) -> None:
    """Put the rows in ``order`` (the desktop's, newest first): a row added by
    :func:`sync_rows` lands at the bottom. The cursor stays on the recording it was on."""
    current = [row.key.value for row in table.ordered_rows]
    if current == order:
        return
    selected = cursor_key(table)
    position = {key: index for index, key in enumerate(order)}
    table.sort("id", key=lambda recording_id: position.get(recording_id, len(position)))
    if selected is not None:
        table.move_cursor(row=table.get_row_index(selected), animate=False)
