"""DownloadRow: one recording being downloaded, with its own worker and progress bar."""

from __future__ import annotations

import asyncio
import errno
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label, ProgressBar

from core.defaults import DEFAULT_DOWNLOAD_RETRY_SECONDS
from core.downloads import DownloadProgress, DownloadState, progress_line
from core.formatting import format_bytes
from tui.failures import report

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient

__all__ = ["DownloadRow"]

_FINISHED_ROW_SECONDS = 15.0
"""How long a finished download's row stays before it goes away by itself."""


class DownloadRow(Widget, can_focus=True):
    """One recording being downloaded: name, progress bar, bytes, rate and time left."""

    DEFAULT_CSS = """
    DownloadRow {
        height: 1;
        width: 1fr;
        layout: horizontal;
    }
    DownloadRow:focus {
        background: $boost;
    }
    DownloadRow > #name {
        width: 1fr;
        min-width: 10;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    DownloadRow > ProgressBar {
        width: auto;
        margin: 0 1;
    }
    DownloadRow > ProgressBar > Bar {
        width: 12;
    }
    DownloadRow > #stats {
        width: auto;
        max-width: 50;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    DownloadRow.-done > #stats {
        color: $text-success;
    }
    DownloadRow.-failed > #stats {
        color: $text-error;
    }
    DownloadRow.-cancelled > #stats {
        color: $text-warning;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "x",
            "cancel",
            "Cancel/dismiss",
            id="recordings.download.cancel",
            tooltip="Cancel this download (the .part file stays, and downloading the "
            "recording again resumes it), or dismiss a finished one",
        ),
    ]

    state: reactive[str] = reactive("starting")
    """``starting``, ``downloading``, ``done``, ``failed`` or ``cancelled``."""

    @dataclass
    class _Ended(Message):
        """How a download ended (the messages below); ``control`` is the row."""

        row: DownloadRow
        recording_id: str

        @property
        def control(self) -> DownloadRow:
            return self.row

    @dataclass
    class Finished(_Ended):
        """The recording was saved to ``path``."""

        path: Path

    @dataclass
    class Failed(_Ended):
        """The download failed; ``message`` is one line."""

        message: str

    class Cancelled(_Ended):
        """The user cancelled the download."""

    def __init__(
        self,
        client: AsyncDesktopClient | None,
        target: Any,
        recording_id: str,
        path: Path,
        *,
        overwrite: bool = False,
        retry_seconds: float = DEFAULT_DOWNLOAD_RETRY_SECONDS,
        start: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """A download of ``recording_id`` to ``path`` (which must not exist, unless the
        user said to replace it: ``overwrite``). After a cut it resumes by itself for
        ``retry_seconds``.

        With ``start=False`` nothing is fetched: the row only shows what it is told
        (:meth:`show_progress`), which is how snapshot tests draw one.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._client = client
        self._target = target
        self.recording_id = recording_id
        self.path = path
        self._overwrite = overwrite
        self._retry_seconds = retry_seconds
        self._start = start
        self._received = 0
        self._dismiss_timer: Any = None

    def compose(self) -> ComposeResult:
        yield Label(self.path.name, id="name", markup=False)
        yield ProgressBar(total=None, show_eta=False, id="bar")
        yield Label("starting…", id="stats", markup=False)

    def on_mount(self) -> None:
        self.tooltip = str(self.path)
        if self._start and self._client is not None:
            self.run_worker(
                self._download(), name=f"download {self.recording_id}", exit_on_error=False
            )

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    # ── public API ──

    def show_progress(self, progress: DownloadProgress) -> None:
        """Show ``progress``: bytes, rate and time left, or that it waits to resume after a
        cut (why in the tooltip).

        Ignored once the download has ended: a report that comes late (queued behind the
        end) must not turn a saved, failed or cancelled row back into one at 27 %.
        """
        if self.finished:
            return
        self._received = progress.received
        bar = self.query_one("#bar", ProgressBar)
        bar.update(total=progress.total, progress=progress.received)
        stats = self.query_one("#stats", Label)
        stats.update(progress_line(progress))
        stats.tooltip = (
            progress.last_error if progress.state is not DownloadState.TRANSFERRING else None
        )
        self.state = "downloading"

    # ── actions ──

    def action_cancel(self) -> None:
        if self.finished:
            self.remove()
            return
        self.workers.cancel_node(self)
        self._end("cancelled", "cancelled")
        self.post_message(self.Cancelled(self, self.recording_id))

    # ── the download ──

    async def _download(self) -> None:
        assert self._client is not None
        try:
            path = await self._client.download_recording_to(
                self._target,
                self.recording_id,
                self.path,
                progress=self.show_progress,
                overwrite=self._overwrite,
                retry_seconds=self._retry_seconds,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failing download never takes the app down
            line = report(f"download recording {self.recording_id}", exc)
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                line = f"disk full, partial file kept as {self.path.name}.part"
            self._fail(f"{self.path.name}: {line}")
            return
        self.path = Path(path)
        size = self.path.stat().st_size if self.path.exists() else self._received
        bar = self.query_one("#bar", ProgressBar)
        bar.update(total=max(1, size), progress=max(1, size))
        self._end("done", f"saved · {format_bytes(size)}")
        self.post_message(self.Finished(self, self.recording_id, self.path))

    def _fail(self, message: str) -> None:
        self._end("failed", message)
        self.post_message(self.Failed(self, self.recording_id, message))

    def _end(self, state: str, text: str) -> None:
        self.state = state
        for name in ("done", "failed", "cancelled"):
            self.set_class(name == state, f"-{name}")
        self.query_one("#stats", Label).update(text)
        if state in ("done", "cancelled"):
            self._dismiss_timer = self.set_timer(_FINISHED_ROW_SECONDS, self.remove)
