"""RecordingPlayer: a recording played in the preview pane, drawn like the live preview.

The decoding is :class:`tui.playback.Player`'s (PyAV, on its own thread, frames at their
time); this widget gives it the pane's size, makes each frame ready for the image widget
on that thread (shrunk to the cells it covers, encoded by the renderer's encoder), and
swaps it in on the event loop. Only the newest frame waiting is kept (``can_replace``): a
terminal slower than the video drops frames instead of falling behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image as PILImage
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tui.failures import one_line
from tui.frames import PixelNeeds, fit_cells, frame_pixels
from tui.graphics import cell_size
from tui.playback import SEEK_STEP, Player, PlayerFrame, PlayerState
from tui.widgets.renderers import encoder_of, pixel_needs, show_on
from tui.widgets.status_line import StatusLine

__all__ = ["RecordingPlayer"]


def _position_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}:{secs:04.1f}"


class RecordingPlayer(Widget, can_focus=True):
    """Plays one recording (a URL with its headers, or a file) until closed."""

    DEFAULT_CSS = """
    RecordingPlayer {
        width: 1fr;
        height: 1fr;
        layout: vertical;
    }
    RecordingPlayer > #viewport {
        width: 1fr;
        height: 1fr;
    }
    RecordingPlayer > #viewport > Center {
        height: auto;
    }
    RecordingPlayer #frame {
        width: auto;
        height: auto;
    }
    RecordingPlayer > #status {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_pause", "Pause", id="player.pause", tooltip="Pause or play"),
        Binding(
            "left",
            f"seek({-SEEK_STEP})",
            f"-{SEEK_STEP:g} s",
            key_display="←",
            id="player.back",
            tooltip=f"Go back {SEEK_STEP:g} seconds",
        ),
        Binding(
            "right",
            f"seek({SEEK_STEP})",
            f"+{SEEK_STEP:g} s",
            key_display="→",
            id="player.forward",
            tooltip=f"Go forward {SEEK_STEP:g} seconds",
        ),
        Binding(
            "plus,equals_sign",
            "speed(1)",
            "Faster",
            key_display="+",
            id="player.faster",
            tooltip="Play faster",
        ),
        Binding(
            "minus",
            "speed(-1)",
            "Slower",
            key_display="-",
            id="player.slower",
            tooltip="Play slower",
        ),
        Binding(
            "escape,enter",
            "close",
            "Close",
            key_display="esc",
            id="player.close",
            tooltip="Stop playing and go back to the live preview",
        ),
    ]

    state: reactive[PlayerState | None] = reactive(None)
    """Where playback is, as the player last said (``None`` before the first frame)."""

    error: reactive[str | None] = reactive(None)
    """Why playback stopped (one line), or ``None``."""

    @dataclass
    class Closed(Message):
        """The user closed the player (escape or enter): the live preview comes back."""

        player: RecordingPlayer

        @property
        def control(self) -> RecordingPlayer:
            return self.player

    @dataclass
    class _FrameReady(Message):
        image: PILImage.Image
        cells: tuple[int, int]
        encoded: Any
        state: PlayerState

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RecordingPlayer._FrameReady)

    @dataclass
    class _StateChanged(Message):
        state: PlayerState

    @dataclass
    class _Failed(Message):
        error: BaseException

    def __init__(
        self,
        source: str,
        *,
        title: str,
        renderer: type[Widget],
        headers: dict[str, str] | None = None,
        id: str | None = None,
    ) -> None:
        """Play ``source`` (a URL, read with ``headers``, or a path), named ``title``,
        drawing with ``renderer`` (the preview's image widget class)."""
        super().__init__(id=id)
        self._source = source
        self._headers = headers or {}
        self._title = title
        self._renderer = renderer
        self._player: Player | None = None
        self._geometry: tuple[Size, tuple[int, int], PixelNeeds] = (
            Size(1, 1),
            (1, 1),
            PixelNeeds((1, 1)),
        )
        self.frame_count = 0
        """Frames shown (tests read it)."""

    # ── composition ──

    def compose(self) -> ComposeResult:
        with Middle(id="viewport"), Center():
            yield self._renderer(id="frame")
        yield StatusLine("opening the recording…", id="status")

    def on_mount(self) -> None:
        self.border_title = f"▶ {self._title}"
        self.call_after_refresh(self._start)

    def on_unmount(self) -> None:
        if self._player is not None:
            self._player.close(wait=0)
            self._player = None

    def on_resize(self) -> None:
        if self._player is not None:
            self._player.resize(self._pixels())

    # ── actions ──

    def action_toggle_pause(self) -> None:
        if self._player is not None:
            self._player.toggle_pause()

    def action_seek(self, seconds: float) -> None:
        if self._player is not None:
            self._player.seek(seconds)

    def action_speed(self, steps: int) -> None:
        if self._player is not None:
            self._player.faster(steps)

    def action_close(self) -> None:
        if self._player is not None:
            self._player.close(wait=0)
        self.post_message(self.Closed(self))

    # ── the player (its callbacks run on its thread) ──

    def _start(self) -> None:
        self._player = Player(
            self._source,
            headers=self._headers,
            size=self._pixels(),
            on_frame=self._frame_from_player,
            on_state=lambda state: self.post_message(self._StateChanged(state)),
            on_error=lambda exc: self.post_message(self._Failed(exc)),
        )
        self._player.start()

    def _pixels(self) -> tuple[int, int]:
        """The pixels a frame needs here: the viewport's cells at the renderer's density
        (the player keeps the aspect within them). Also what the player's thread reads."""
        try:
            box = self.query_one("#viewport").content_size
        except Exception:
            box = self.size
        box = Size(max(1, box.width), max(1, box.height))
        needs = pixel_needs(self._renderer)
        self._geometry = (box, cell_size(), needs)
        return (box.width * needs.density[0], box.height * needs.density[1])

    def _frame_from_player(self, frame: PlayerFrame) -> None:
        box, cell, needs = self._geometry
        image = frame.image
        cells = fit_cells(image.size, box, cell)
        wanted = frame_pixels(image.size, cells, needs)
        if image.size != wanted:  # smaller, or bigger for a renderer that grows (Sixel)
            image = image.resize(wanted, PILImage.Resampling.BILINEAR)
        encode = encoder_of(self._renderer)
        encoded = encode(image, cells, cell) if encode is not None else None
        self.post_message(self._FrameReady(image, cells, encoded, frame.state))

    def on_recording_player__frame_ready(self, message: _FrameReady) -> None:
        message.stop()
        try:
            widget = self.query_one("#frame")
        except Exception:
            return
        show_on(widget, message.image, message.cells, message.encoded)
        self.frame_count += 1
        self.state = message.state

    def on_recording_player__state_changed(self, message: _StateChanged) -> None:
        message.stop()
        self.state = message.state

    def on_recording_player__failed(self, message: _Failed) -> None:
        message.stop()
        self.error = one_line(message.error)
        self.notify(f"Playback failed: {self.error}", severity="error", markup=False)

    # ── watchers ──

    def watch_state(self) -> None:
        self._show_status()

    def watch_error(self) -> None:
        self.set_class(self.error is not None, "-failed")
        self._show_status()

    def _show_status(self) -> None:
        state = self.state
        if self.error is not None:
            text = f"playback failed: {self.error} · esc closes"
        elif state is None:
            text = "opening the recording…"
        else:
            self.set_class(state.paused, "-paused")
            where = f"{_position_text(state.position)} / {_position_text(state.duration)}"
            mode = (
                "ended (space plays again)"
                if state.ended
                else ("paused" if state.paused else "playing")
            )
            text = f"{where} · {state.speed:g}x · {mode} · ←/→ {SEEK_STEP:g} s · +/- speed · esc"
        try:
            self.query_one("#status", StatusLine).show(text)
        except Exception:
            return
