"""The stdout and stderr logs of one desktop process, followed while shown."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.scalar import Scalar
from textual.reactive import reactive
from textual.widgets import Input

from core.log_follow import LogTail
from tui.failures import report
from tui.files import write_file
from tui.polling import error_into, poll
from tui.screens.save_file import ask_where_to_save
from tui.widgets.log_lines import LogLines
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient, SandboxRef

__all__ = ["LogViewer", "stderr_rows"]

Stream = Literal["stdout", "stderr"]

POLL_INTERVAL = 1.0
"""Seconds between fetches of the logs while the viewer is shown and the log is busy."""

QUIET_INTERVAL = 3.0
"""Longest wait, in seconds, between fetches of a log that has stopped growing. Each fetch
costs the app about 3 ms of CPU here (two requests), and a dashboard left open on a quiet
desktop should cost next to nothing; the first new line brings the pace back to
``POLL_INTERVAL``."""

MAX_BACKOFF = 10.0
"""Longest wait, in seconds, between fetches while the desktop keeps failing."""


def stderr_rows(total: int, out_rows: int, err_rows: int, border: int = 2) -> int:
    """The rows (border included) stderr gets of ``total``, stdout the rest; 0: hidden.

    stderr takes room only when it has lines, and no more than they need; when both logs
    are longer than the pane, the shorter one gets what it needs if that is under half,
    else stdout gets three fifths.
    """
    if err_rows <= 0:
        return 0
    err_need = err_rows + border
    out_need = out_rows + border
    if out_need + err_need <= total:
        return err_need
    if out_need <= total // 2:
        return total - out_need
    if err_need <= total // 2:
        return err_need
    return max(border + 1, total * 2 // 5)


class LogViewer(Vertical):
    """stdout above stderr for one process, fetched while the viewer is shown.

    One pane for both: stderr is hidden while it has no lines, and then takes what its
    lines need (:func:`stderr_rows`), so neither log is a half-empty box.

    The desktop API returns a whole log per request, so each fetch is compared with the last
    (:class:`LogTail`) and only what is new is appended. Fetches come every second while
    the log grows, slowing to one every three seconds while it is quiet. Fetching stops
    while the viewer is hidden (another process chosen, another tab) and resumes when it is
    shown again.
    """

    DEFAULT_CSS = """
    LogViewer {
        height: 1fr;
        width: 1fr;
    }
    LogViewer > #log-status {
        height: 1;
        width: 1fr;
        padding: 0 1;
        color: $text-muted;
        background: $panel;
    }
    LogViewer.-failing > #log-status {
        color: $text-error;
    }
    LogViewer > #log-search {
        display: none;
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    LogViewer.-searching > #log-search {
        display: block;
    }
    LogViewer > LogLines {
        border: round $foreground 30%;
        border-title-align: left;
        border-title-color: $text-muted;
        &:focus {
            border: round $accent;
        }
    }
    LogViewer > #stdout {
        height: 1fr;
    }
    LogViewer > #stderr {
        display: none;
        background-tint: $error 8%;
        border: round $error 60%;
        border-title-color: $text-error;
        &:focus {
            border: round $error;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "open_search",
            "Search",
            id="logs.search",
            tooltip="Highlight the lines that contain a text (n / N: next / previous)",
        ),
        Binding("n", "next_match", "Next match", id="logs.next_match", show=False),
        Binding("N", "previous_match", "Previous match", id="logs.previous_match", show=False),
        Binding(
            "f",
            "toggle_follow",
            "Follow",
            id="logs.follow",
            tooltip="Keep the newest lines in view (on/off)",
        ),
        Binding(
            "w",
            "toggle_wrap",
            "Wrap",
            id="logs.wrap",
            tooltip="Wrap long lines instead of scrolling sideways (on/off)",
        ),
        Binding(
            "ctrl+s",
            "save_log",
            "Save log",
            id="logs.save",
            tooltip="Save the focused log (stdout or stderr) to a file",
        ),
        Binding("escape", "close_search", "Close search", id="logs.close_search", show=False),
    ]

    follow: reactive[bool] = reactive(True)
    """Keep the newest lines in view as they arrive."""

    wrap: reactive[bool] = reactive(True)
    """Wrap long lines at the pane's width (off: scroll sideways)."""

    search: reactive[str] = reactive("")
    """Text highlighted in both logs; empty for none."""

    error: reactive[str | None] = reactive(None)
    """The last fetch's failure, one line, or ``None`` while fetching works."""

    def __init__(
        self,
        client: AsyncDesktopClient,
        target: SandboxRef,
        process: str,
        *,
        save_dir: Path,
        poll_interval: float = POLL_INTERVAL,
        max_lines: int = 20_000,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.client = client
        self.target = target
        self.process = process
        self.save_dir = save_dir
        self.poll_interval = poll_interval
        self.max_lines = max_lines
        self._tails: dict[Stream, LogTail] = {"stdout": LogTail(), "stderr": LogTail()}
        self._matches: dict[Stream, int] = {"stdout": 0, "stderr": 0}
        self._fetched = False

    def compose(self) -> ComposeResult:
        yield StatusLine(id="log-status")
        yield Input(placeholder="search (Enter: next, Esc: close)", id="log-search")
        stdout = LogLines(max_lines=self.max_lines, id="stdout")
        stdout.border_title = f"{self.process} · stdout"
        yield stdout
        stderr = LogLines(max_lines=self.max_lines, id="stderr")
        stderr.border_title = f"{self.process} · stderr"
        yield stderr

    def on_mount(self) -> None:
        self._show_status()

    def on_resize(self) -> None:
        self.call_after_refresh(self._share_rows)

    # ── following while shown ──

    def on_show(self) -> None:
        self._follow()

    def on_hide(self) -> None:
        self.workers.cancel_group(self, "follow")

    @work(exclusive=True, group="follow", exit_on_error=False)
    async def _follow(self) -> None:
        """Fetch both logs, append what is new, wait; until cancelled (hidden)."""
        await poll(
            self._fetch,
            interval=self.poll_interval,
            max_backoff=MAX_BACKOFF,
            on_error=error_into(self, f"logs of {self.process}"),
            paced=True,
        )

    async def _fetch(self, delay: float) -> float:
        """Fetch both logs and show what is new; the next wait: short while a log grows,
        longer (up to ``QUIET_INTERVAL``) while both are quiet."""
        stdout = await self.client.process_logs(self.target, self.process)
        stderr = await self.client.process_errors(self.target, self.process)
        grew = self._take("stdout", stdout.logs) | self._take("stderr", stderr.errors)
        if grew:
            self._share_rows()
        if not self._fetched:
            self._fetched = True
            self._show_status()
            return self.poll_interval
        if grew:
            return self.poll_interval
        return min(max(self.poll_interval, QUIET_INTERVAL), delay + 0.5)

    def _take(self, stream: Stream, text: str) -> bool:
        """Show what is new in ``stream``; whether anything was."""
        reset, new = self._tails[stream].update(text)
        lines = self.query_one(f"#{stream}", LogLines)
        if reset:
            lines.clear()
        if new:
            lines.append(new)
            self._show_status()
        return reset or bool(new)

    # ── actions ──

    def action_open_search(self) -> None:
        self.add_class("-searching")
        self.query_one("#log-search", Input).focus()

    def action_close_search(self) -> None:
        field = self.query_one("#log-search", Input)
        field.value = ""
        self.search = ""
        self.remove_class("-searching")
        self.query_one("#stdout", LogLines).focus()

    def action_next_match(self) -> None:
        self._select_match(forward=True)

    def action_previous_match(self) -> None:
        self._select_match(forward=False)

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap

    def action_save_log(self) -> None:
        self._save(self._focused_stream())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # None: shown (greyed in the footer) but not runnable now.
        if action == "close_search":
            return True if self.has_class("-searching") else None
        if action in ("next_match", "previous_match"):
            return True if self.search else None
        return True

    # ── handlers ──

    @on(Input.Changed, "#log-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search = event.value

    @on(Input.Submitted, "#log-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._select_match(forward=True)

    @on(LogLines.MatchesChanged)
    def _matches_changed(self, event: LogLines.MatchesChanged) -> None:
        event.stop()
        stream: Stream = "stderr" if event.log_lines.id == "stderr" else "stdout"
        self._matches[stream] = event.count
        self._show_status()

    # ── watchers ──

    def watch_follow(self, follow: bool) -> None:
        for lines in self.query(LogLines):
            lines.follow = follow
        self._show_status()

    def watch_wrap(self, wrap: bool) -> None:
        for lines in self.query(LogLines):
            lines.wrap = wrap
        self._show_status()
        self.call_after_refresh(self._share_rows)

    def watch_search(self, search: str) -> None:
        for lines in self.query(LogLines):
            lines.search = search
        self._show_status()

    def watch_error(self, error: str | None) -> None:
        self.set_class(error is not None, "-failing")
        self._show_status()

    # ── helpers ──

    def _share_rows(self) -> None:
        """Size stderr to its lines (hidden with none); stdout takes the rest."""
        if not self.is_mounted:
            return
        stdout = self.query_one("#stdout", LogLines)
        stderr = self.query_one("#stderr", LogLines)
        total = stdout.outer_size.height + (stderr.outer_size.height if stderr.display else 0)
        if total <= 0:
            return
        # Both are as wide; a hidden stderr has no width of its own to measure.
        width = stdout.scrollable_content_region.width
        rows = stderr_rows(total, stdout.rows_at(width), stderr.rows_at(width))
        if rows == 0:
            stderr.display = False
            return
        stderr.display = True
        if stderr.styles.height != Scalar.from_number(rows):
            stderr.styles.height = rows

    def _focused_stream(self) -> Stream:
        focused = self.screen.focused
        return "stderr" if focused is not None and focused.id == "stderr" else "stdout"

    def _select_match(self, *, forward: bool) -> None:
        if not self.search:
            return
        stream = self._focused_stream()
        order: list[Stream] = [stream, "stderr" if stream == "stdout" else "stdout"]
        for name in order:
            if self.query_one(f"#{name}", LogLines).select_match(forward):
                return
        self.notify(f"No line contains {self.search!r}", severity="warning", timeout=3)

    def _show_status(self) -> None:
        if not self.is_mounted:
            return
        if self.error is not None:
            text = f"⚠ {self.error} (retrying)"
        else:
            stdout = self.query_one("#stdout", LogLines)
            stderr = self.query_one("#stderr", LogLines)
            if not self._fetched:
                parts = [f"{self.process}: loading logs…"]
            else:
                parts = [
                    f"{self.process}",
                    f"{stdout.line_count:,} out / {stderr.line_count:,} err lines",
                ]
            if self.search:  # before the switches: what a narrow line keeps
                found = self._matches["stdout"] + self._matches["stderr"]
                parts.append(f"{found} matching line{'s' if found != 1 else ''}")
            parts.append("follow on" if self.follow else "follow off")
            parts.append("wrap on" if self.wrap else "wrap off")
            text = " · ".join(parts)
        self.query_one("#log-status", StatusLine).show(text)

    # ── saving ──

    @work(exclusive=True, group="save", exit_on_error=False)
    async def _save(self, stream: Stream) -> None:
        """Ask for a path, ask before replacing a file, write it whole or not at all."""
        text = self._tails[stream].text
        if not text:
            self.notify(f"No {stream} from {self.process} to save yet.", severity="warning")
            return
        stamp = time.strftime("%Y%m%d-%H%M%S")
        suggestion = self.save_dir / f"{self.process}-{stream}-{stamp}.log"
        answer = await ask_where_to_save(
            self.app,
            f"Save {self.process} {stream} to",
            suggestion,
            replacing=f"the {stream} of {self.process}",
        )
        if answer is None:
            self.notify("Not saved.", timeout=3)
            return
        path, overwrite = answer
        data = text.encode("utf-8", errors="replace")
        try:
            await asyncio.to_thread(write_file, path, data, overwrite=overwrite)
        except FileExistsError:
            self.notify(f"{path} appeared meanwhile; not replaced.", severity="warning")
        except Exception as exc:
            self.notify(
                f"Cannot save the log: {report('save log', exc)}", severity="error", markup=False
            )
        else:
            self.notify(
                f"Saved {self.process} {stream} ({len(data):,} bytes) to {path}", markup=False
            )
