"""The desktop's display: X11 display name, resolution, and where the pointer is."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work
from textual.reactive import reactive
from textual.widgets import Static

from core.models import DesktopDisplayInfo, DesktopPointerPosition
from tui.polling import error_into, poll

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient, SandboxRef

__all__ = ["DisplayInfo"]

POINTER_INTERVAL = 2.0
"""Seconds between pointer position checks while shown (each costs a request, and idle
CPU matters more than a pointer that is a second late)."""

DISPLAY_INTERVAL = 10.0
"""Seconds between display size checks while shown (a resize restarts Xvfb)."""

MAX_BACKOFF = 10.0


class DisplayInfo(Static):
    """One line: display, resolution and pointer position, fetched while shown."""

    DEFAULT_CSS = """
    DisplayInfo {
        height: 1;
        width: 1fr;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        &.-failing {
            color: $text-error;
        }
    }
    """

    display_info: reactive[DesktopDisplayInfo | None] = reactive(None)
    """The X11 display and its size, once known."""

    pointer: reactive[DesktopPointerPosition | None] = reactive(None)
    """Where the pointer is, in screen pixels."""

    error: reactive[str | None] = reactive(None)
    """The last fetch's failure, one line, while fetching fails."""

    def __init__(
        self,
        client: AsyncDesktopClient | None,
        target: SandboxRef | None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__("display: loading…", name=name, id=id, classes=classes, markup=False)
        self.client = client
        self.target = target
        self._text = ""

    def on_show(self) -> None:
        if self.client is not None and self.target is not None:
            self._follow()

    def on_hide(self) -> None:
        self.workers.cancel_group(self, "follow")

    @work(exclusive=True, group="follow", exit_on_error=False)
    async def _follow(self) -> None:
        client, target = self.client, self.target
        assert client is not None and target is not None
        display_due = 0.0

        async def step(_: float) -> None:
            nonlocal display_due
            if time.monotonic() >= display_due or self.display_info is None:
                self.display_info = await client.display_info(target)
                display_due = time.monotonic() + DISPLAY_INTERVAL
            self.pointer = await client.pointer_position(target)

        await poll(
            step,
            interval=POINTER_INTERVAL,
            max_backoff=MAX_BACKOFF,
            on_error=error_into(self, "display info"),
        )

    def watch_display_info(self) -> None:
        self._show()

    def watch_pointer(self) -> None:
        self._show()

    def watch_error(self, error: str | None) -> None:
        self.set_class(error is not None, "-failing")
        self._show()

    def _show(self) -> None:
        info, pointer = self.display_info, self.pointer
        parts = []
        if info is not None:
            parts.append(f"display {info.display} · {info.width}x{info.height}")
        else:
            parts.append("display: loading…")
        if pointer is not None:
            parts.append(f"pointer {pointer.x}, {pointer.y}")
        if self.error is not None:
            parts = [f"⚠ {self.error}"]
        text = " · ".join(parts)
        if text != self._text:
            # One row whatever the text: no layout pass needed.
            self._text = text
            self.update(text, layout=False)
            self.tooltip = self.error
