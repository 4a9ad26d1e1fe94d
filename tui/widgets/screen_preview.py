"""A desktop's screen, captured on an interval and drawn in the terminal.

How it draws follows the ``graphics`` setting and what the terminal answered at start-up
(:mod:`tui.widgets.renderers`): kitty graphics or Sixel where the terminal has them,
Chafa's symbols elsewhere (tmux included), or half-cells; :meth:`ScreenPreview.set_renderer`
switches at run time. Tests pass ``renderer=HalfcellImage`` or ``UnicodeImage``, which
draw into Textual's own output. Kitty, Sixel and symbol frames are encoded in the decoding
thread, so the event loop only swaps them in.

One refresh loop runs per preview, so never more than one screenshot request is in flight.
Frames are asked for as JPEG (the desktop encodes a 1440x900 PNG in 50-70 ms, a JPEG in
about 5), decoded in a thread at reduced size (``Image.draft``) and shrunk to what the pane
can show before the image widget gets them: it re-renders from what it holds on every
refresh, so a full-size frame would cost that much on every repaint.

Control mode (``i``, :mod:`tui.control` for the logic): the mouse on the picture and the
keys typed go to the desktop, the preview runs live with the desktop's pointer marked on
the picture, and ``ctrl+]`` leaves. While it is on, the preview consumes every key
(:meth:`ScreenPreview.check_consume_key`), so no binding of the app, the screen or the
preview fires, priority ones included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from PIL import Image as PILImage
from rich.color import ColorSystem
from rich.console import COLOR_SYSTEMS
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.worker import Worker

from core.config import Settings
from tui import clock
from tui.control import LEAVE_KEY, ControlSender, Gestures, ImageBox, Scroll, action_for_key
from tui.cpu_pace import CpuPace
from tui.failures import one_line, report
from tui.files import screenshot_stem
from tui.frames import Encoder, Frame, PixelNeeds, prepare_frame, save_png
from tui.graphics import cell_size, pixel_mouse, terminal_answers
from tui.polling import poll
from tui.widgets.renderers import (
    encoder_of,
    live_cpu_share,
    live_fps,
    live_renderer,
    mode_of,
    pixel_needs,
    renderer_for,
    show_on,
)
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient

__all__ = ["INTERVAL_STEPS", "ScreenPreview"]

INTERVAL_STEPS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""Refresh intervals, in seconds, that ``+`` and ``-`` step through."""

PREVIEW_JPEG_QUALITY = 70
"""JPEG quality asked for preview frames: a pane of terminal cells shows no more."""

POINTER_POLL = 1.0
"""Seconds between reads of the desktop's pointer in control mode, for the mark: the
pointer actions sent say where they left it, so this only catches moves by the desktop's
own programs (each read costs the host an xdotool process)."""

_HIDDEN_POLL = 0.5
"""Seconds between checks whether a hidden or paused preview became visible again."""

_MAX_BACKOFF = 10.0
"""Longest wait, in seconds, between attempts while the desktop keeps failing."""


def _format_interval(seconds: float) -> str:
    return f"every {seconds:g} s"


class ScreenPreview(Widget, can_focus=True):
    """A live screenshot of one desktop, scaled to the pane with its aspect ratio kept."""

    DEFAULT_CSS = """
    ScreenPreview {
        width: 1fr;
        height: 1fr;
        layout: vertical;
    }
    ScreenPreview > #viewport {
        width: 1fr;
        height: 1fr;
    }
    ScreenPreview > #viewport > Center {
        height: auto;
    }
    ScreenPreview #frame {
        width: auto;
        height: auto;
    }
    ScreenPreview > #status {
        color: $text-muted;
    }
    ScreenPreview.-paused > #status {
        color: $text-warning;
    }
    ScreenPreview.-stale > #status {
        color: $text-error;
    }
    ScreenPreview:focus > #status {
        text-style: bold;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "p",
            "toggle_pause",
            "Pause",
            id="preview.pause",
            tooltip="Pause or resume refreshing the screenshot",
        ),
        Binding(
            "s",
            "save_screenshot",
            "Save PNG",
            id="preview.save",
            tooltip="Save a full-resolution PNG of the screen into the download directory",
        ),
        Binding(
            "plus,equals_sign",
            "faster",
            "Faster",
            key_display="+",
            id="preview.faster",
            tooltip="Refresh the screenshot more often",
        ),
        Binding(
            "minus",
            "slower",
            "Slower",
            key_display="-",
            id="preview.slower",
            tooltip="Refresh the screenshot less often",
        ),
        Binding(
            "l",
            "toggle_live",
            "Live",
            id="preview.live",
            tooltip="Live mode: ask for the next frame as soon as one is shown",
        ),
    ]

    ALLOW_SELECT = False

    paused: reactive[bool] = reactive(False)
    """Refreshing stopped by the user (``p``). A hidden preview also stops, without this."""

    live: reactive[bool] = reactive(False)
    """Ask for the next frame as soon as one is shown (up to the renderer's
    :func:`~tui.widgets.renderers.live_fps`)."""

    interval: reactive[float] = reactive(1.0)
    """Seconds from one request to the next when not live."""

    stale: reactive[bool] = reactive(False)
    """The last attempt failed: the frame shown is older than it should be."""

    error: reactive[str | None] = reactive(None)
    """One line saying why the last attempt failed, or ``None``."""

    controlling: reactive[bool] = reactive(False)
    """Control mode: the mouse on the picture and the keys typed go to the desktop."""

    @dataclass
    class _Event(Message):
        """Something the preview did (the messages below); ``control`` is the preview."""

        preview: ScreenPreview

        @property
        def control(self) -> ScreenPreview:
            return self.preview

    @dataclass
    class ScreenshotSaved(_Event):
        """A full-resolution PNG was written to ``path``."""

        path: Path
        size: tuple[int, int]

    @dataclass
    class CaptureFailed(_Event):
        """Capturing started failing; ``message`` is one line. Sent once per outage."""

        message: str

    class CaptureRecovered(_Event):
        """A frame arrived again after :class:`CaptureFailed`."""

    @dataclass
    class ControlChanged(_Event):
        """Control mode was entered (``controlling``) or left."""

        controlling: bool

    def __init__(
        self,
        client: AsyncDesktopClient,
        target: Any,
        settings: Settings | None = None,
        *,
        renderer: type[Widget] | None = None,
        paused: bool = False,
        live_stand_in: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """A preview of ``target``'s screen, fetched through ``client``.

        ``settings`` gives the first refresh interval and the directory ``s`` saves into.
        ``renderer`` is an image widget class (default: the one for the ``graphics``
        setting on this terminal, :func:`~tui.widgets.renderers.renderer_for`).
        ``paused`` starts without fetching. ``live_stand_in=False`` keeps the renderer in
        live mode too (benchmarks measure it so). Capture time and age are read through
        :mod:`tui.clock`, which snapshot tests freeze.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._client = client
        self._target = target
        self._settings = settings or Settings()
        self._chosen: type[Widget] = renderer or renderer_for(self._settings.graphics)
        self._live_stand_in = live_stand_in
        self._renderer: type[Widget] = self._chosen
        self._wake: asyncio.Event | None = None
        self._frame: Frame | None = None
        self._last_data: bytes | None = None
        self._drawn_as: tuple[object, ...] = ()
        """How the picture on show was drawn: pane, cell, pixel needs, renderer, text colours,
        pointer."""
        self._cells: tuple[int, int] = (0, 0)
        self._encoded: Any = None
        self._failures = 0
        self._saving = 0
        self.frame_count = 0
        """Frames shown since mount (benchmarks and tests read it)."""
        self.request_count = 0
        """Screenshot requests sent by the refresh loop since mount."""
        self.pointer: tuple[int, int] | None = None
        """The desktop pointer as last read in control mode (desktop pixels)."""
        self.sent_count = 0
        """Control actions the desktop accepted since mount (tests read it)."""
        self._sender: ControlSender | None = None
        self._gestures = Gestures()
        self._live_before = False
        self._pointer_read_at = float("-inf")
        self._prefetch: tuple[asyncio.Task[bytes], float] | None = None
        self._pace = CpuPace()
        self.set_reactive(ScreenPreview.interval, self._settings.preview_interval)
        self.set_reactive(ScreenPreview.paused, paused)

    # ── composition ──

    def compose(self) -> ComposeResult:
        with Middle(id="viewport"), Center():
            yield self._renderer(id="frame")
        yield StatusLine("waiting for the first frame", id="status")

    def on_mount(self) -> None:
        self._wake = asyncio.Event()
        self._sync_classes()
        clock.every_second(self, self._update_status)
        self.run_worker(
            self._refresh_loop(),
            name="screen preview",
            group="preview",
            exclusive=True,
            exit_on_error=False,
        )

    def on_show(self) -> None:
        self._poke()

    def on_unmount(self) -> None:
        self._drop_prefetch()
        if self._sender is not None:
            sender, self._sender = self._sender, None
            self.app.run_worker(sender.close(), exit_on_error=False)

    def on_resize(self) -> None:
        if self.live and self._wanted() is not self._renderer:
            self.run_worker(self._draw_with(self._wanted()), group="renderer", exit_on_error=False)
            return
        # Paused or slow, the frame shown would keep the old pane's size for a long time.
        if self._last_data is not None and not self.live:
            self._start_redecode()

    # ── public API ──

    @property
    def graphics_mode(self) -> str:
        """How the preview draws: ``kitty``, ``sixel``, ``symbols`` or ``halfcell`` (live
        mode may stand in half-cells for symbols, see :meth:`set_renderer`)."""
        return mode_of(self._chosen)

    async def set_renderer(self, renderer: type[Widget]) -> None:
        """Draw with ``renderer`` from now on: the image widget is replaced and the last
        frame drawn again in the new way (at once, from the bytes already fetched).

        In live mode a renderer too slow for it in a pane this big draws with its live
        stand-in (:func:`~tui.widgets.renderers.live_renderer`: symbols become half-cells
        above 6000 cells) until live mode ends or the pane shrinks.
        """
        self._chosen = renderer
        await self._draw_with(self._wanted())

    def _wanted(self) -> type[Widget]:
        """The renderer to draw with now: the chosen one, or its live stand-in."""
        if self.live and self._live_stand_in:
            box = self._frame_box()
            return live_renderer(self._chosen, box.width * box.height)
        return self._chosen

    async def _draw_with(self, renderer: type[Widget]) -> None:
        """Replace the image widget by one of ``renderer`` and draw the last frame on it."""
        if renderer is self._renderer:
            return
        self._renderer = renderer
        if not self.is_mounted:
            return
        old = self.query("#frame")
        await old.remove()
        await self.query_one("#viewport > Center").mount(renderer(id="frame"))
        if self._last_data is not None:
            self._start_redecode(delay=0.0)

    @property
    def renderer(self) -> type[Widget]:
        """The image widget class drawing now (what a recording played here should use)."""
        return self._renderer

    @property
    def frame(self) -> Frame | None:
        """The frame on show, if any."""
        return self._frame

    def image_box(self) -> ImageBox | None:
        """Where the picture is drawn in the preview (cells from its top left) and the
        desktop's size; ``None`` before the first frame.

        Every renderer draws the picture over exactly its widget's content region: the
        preview's own frames (symbols, Sixel, kitty) size themselves to the cells they were
        given and scale the picture to all of them (Chafa's canvas, Sixel's rows of
        ``cells x cell`` pixels, kitty's ``c=,r=`` placement); textual-image's half-cells
        size the widget and the picture with the same ``ImageSize``. The widget itself is
        centred in the viewport.
        """
        frame = self._frame
        try:
            widget = self.query_one("#frame")
        except Exception:
            return None
        region = widget.content_region
        if frame is None or region.width <= 0 or region.height <= 0:
            return None
        return ImageBox(
            region.x - self.region.x,
            region.y - self.region.y,
            region.width,
            region.height,
            frame.width,
            frame.height,
        )

    @property
    def visible_to_user(self) -> bool:
        """Whether the preview is on a screen the user sees, and displayed on it."""
        try:
            return self.screen.is_current and self.is_on_screen and self.display
        except Exception:  # no screen yet, or being removed
            return False

    def show_frame(
        self, frame: Frame, cells: tuple[int, int] | None = None, encoded: Any = None
    ) -> None:
        """Show ``frame`` (already shrunk for the pane); the loop calls this for each one,
        with the ``cells`` it covers and what the renderer draws it from (``encoded``)."""
        self._cells, self._encoded = cells or (0, 0), encoded
        self._set_image(frame.image)
        self._shown(frame)

    def _shown(self, frame: Frame) -> None:
        """``frame`` is the one on show (drawn, or the same picture again)."""
        self._frame = frame
        self.frame_count += 1
        self.stale = False
        self.error = None
        self._update_status()

    # ── actions ──

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused

    def action_toggle_live(self) -> None:
        self.live = not self.live
        if self.live:
            self.paused = False

    def action_faster(self) -> None:
        if self.live:
            return
        shorter = [s for s in INTERVAL_STEPS if s < self.interval - 1e-9]
        if shorter:
            self.interval = shorter[-1]
        else:
            self.live = True

    def action_slower(self) -> None:
        if self.live:
            self.live = False
            return
        longer = [s for s in INTERVAL_STEPS if s > self.interval + 1e-9]
        if longer:
            self.interval = longer[0]

    def action_control(self) -> None:
        """Enter control mode (the preview takes the focus and runs live). Bound to ``i``
        on the desktop screen, so it works from any pane."""
        if self.controlling:
            return
        self.focus()
        self.controlling = True

    def leave_control(self) -> None:
        """Leave control mode: what was not sent yet is dropped, a press not released yet
        is forgotten (the desktop never saw it: nothing stays held), live mode goes back to
        what it was."""
        if self.controlling:
            self.controlling = False

    def action_save_screenshot(self) -> None:
        self.run_worker(
            self._save_screenshot(), name="save screenshot", group="save", exit_on_error=False
        )

    # ── watchers ──

    def watch_paused(self) -> None:
        self._drop_prefetch()
        self._sync_classes()
        self._poke()

    def watch_live(self) -> None:
        self._drop_prefetch()
        self._sync_classes()
        self._poke()
        wanted = self._wanted()
        if wanted is not self._renderer:
            self.run_worker(self._draw_with(wanted), group="renderer", exit_on_error=False)

    def watch_interval(self) -> None:
        self._poke()
        self._update_status()

    def watch_stale(self) -> None:
        self._sync_classes()

    def watch_error(self) -> None:
        self._update_status()

    def watch_controlling(self, controlling: bool) -> None:
        self._drop_prefetch()
        self._gestures.cancel()
        self.release_mouse()
        if controlling:
            self._live_before = self.live
            self._sender = ControlSender(
                self._client, self._target, self._control_failed, self._control_sent
            )
            self.live = True
            self.paused = False
        else:
            sender, self._sender = self._sender, None
            if sender is not None:
                self.run_worker(sender.close(), group="control", exit_on_error=False)
            self.live = self._live_before
            self.pointer = None
            self._pointer_read_at = float("-inf")
        self.border_title = "CONTROL: ctrl+] leaves" if controlling else None
        self._sync_classes()
        self.refresh_bindings()
        self.post_message(self.ControlChanged(self, controlling))

    # ── control mode ──

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """In control mode every key but ``ctrl+]`` is the desktop's: Textual then drops
        the bindings of everything above the preview for it (priority ones too)."""
        return self.controlling and key != LEAVE_KEY

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # In control mode the footer greys the preview's keys out (they go to the desktop).
        return not self.controlling

    def on_key(self, event: events.Key) -> None:
        if not self.controlling:
            return
        event.stop()
        event.prevent_default()
        if event.key == LEAVE_KEY:
            self.leave_control()
            return
        action = action_for_key(event.key, event.character)
        if action is not None:
            self._send(action)

    def on_blur(self) -> None:
        self.leave_control()

    def _desktop_point(self, event: events.MouseEvent) -> tuple[int, int] | None:
        """The desktop pixel under a mouse event, or ``None`` off the picture. Without
        pixel reports a cell stands for its centre."""
        box = self.image_box()
        if box is None:
            return None
        x = event.pointer_screen_x - self.region.x
        y = event.pointer_screen_y - self.region.y
        if not pixel_mouse(self.app):
            x, y = int(x) + 0.5, int(y) + 0.5
        return box.desktop_point(x, y)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if not self.controlling:
            return
        event.stop()
        event.prevent_default()
        point = self._desktop_point(event)
        self._gestures.press(point, event.button)
        if point is not None:
            self.capture_mouse()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if not self.controlling:
            return
        event.stop()
        event.prevent_default()
        self.release_mouse()
        action = self._gestures.release(self._desktop_point(event), event.button)
        if action is not None:
            self._send(action)

    def on_click(self, event: events.Click) -> None:
        if self.controlling:
            event.stop()
            event.prevent_default()

    def _scroll(self, event: events.MouseEvent, direction: str) -> None:
        if not self.controlling:
            return
        event.stop()
        event.prevent_default()
        point = self._desktop_point(event)
        if point is not None:
            self._send(Scroll(point[0], point[1], direction))  # type: ignore[arg-type]

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll(event, "up")

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll(event, "down")

    def on_mouse_scroll_left(self, event: events.MouseScrollLeft) -> None:
        self._scroll(event, "left")

    def on_mouse_scroll_right(self, event: events.MouseScrollRight) -> None:
        self._scroll(event, "right")

    def _send(self, action: Any) -> None:
        if self._sender is not None:
            self._sender.send(action)
            self._poke()

    def _control_sent(self, action: object, result: object) -> None:
        self.sent_count += 1
        x, y = getattr(result, "x", None), getattr(result, "y", None)
        if isinstance(x, int) and isinstance(y, int):
            self.pointer = (x, y)
        self._poke()  # the next frame shows the effect as soon as it can

    def _control_failed(self, exc: BaseException) -> None:
        self.notify(
            f"Control: {report('control', exc) if isinstance(exc, Exception) else exc}",
            severity="error",
            markup=False,
        )

    # ── the refresh loop ──

    async def _refresh_loop(self) -> None:
        """Fetch, decode and show frames until the widget goes away; one request at a time."""
        await poll(
            self._refresh_step,
            interval=_HIDDEN_POLL,
            max_backoff=_MAX_BACKOFF,
            on_error=self._loop_failed,
            wake=self._wake,
        )

    async def _refresh_step(self, _: float) -> float:
        """Show one frame if the preview is shown and running; the wait before the next."""
        if self.paused or not self.visible_to_user:
            self._drop_prefetch()
            self._pace.pause()
            return _HIDDEN_POLL
        started = clock.monotonic()
        ok = await self._capture_once()
        elapsed = clock.monotonic() - started
        if not ok:
            self._pace.pause()
            return max(self.interval, min(_MAX_BACKOFF, 0.5 * 2.0 ** (self._failures - 1)))
        if self.live:
            self._pace.done()
            return self._live_interval() - elapsed
        self._pace.pause()
        return self.interval - elapsed

    def _live_interval(self) -> float:
        """Seconds from one live frame to the next: the renderer's pace, or longer for
        frames that cost more than the renderer's share of a core at that pace."""
        share = live_cpu_share(self._renderer)
        paced = 1.0 / live_fps(self._renderer)
        return paced if share is None else max(paced, self._pace.interval(share))

    async def _capture_once(self) -> bool:
        """Fetch and show one frame. Failures become the status line; returns success."""
        started = clock.monotonic()
        box, cell, needs = self._frame_box(), self._cell_size(), self._pixel_needs()
        renderer, text = self._renderer, self._text_colours()
        encode = encoder_of(renderer, text)
        prefetched, self._prefetch = self._prefetch, None
        try:
            if prefetched is not None:
                task, started = prefetched
                data, pointer = await task, None
            else:
                self.request_count += 1
                shot = self._screenshot()
                if self.controlling and clock.monotonic() - self._pointer_read_at > POINTER_POLL:
                    self._pointer_read_at = clock.monotonic()
                    data, pointer = await asyncio.gather(shot, self._read_pointer())
                else:
                    data, pointer = await shot, self.pointer if self.controlling else None
            if self.live and not self.controlling:
                # Live: the next screenshot is on its way while this one is decoded and
                # drawn (a frame costs the longer of the two, not their sum).
                self.request_count += 1
                self._prefetch = (asyncio.ensure_future(self._screenshot()), clock.monotonic())
            drawn_as = (box, cell, needs, renderer, text, pointer)
            if self._same_frame(data, drawn_as):
                return True
            image, source, cells, encoded = await asyncio.to_thread(
                prepare_frame, data, box, cell, needs, encode, pointer
            )
        except asyncio.CancelledError:
            raise
        except (OSError, ValueError, SyntaxError) as exc:
            self._fail("the desktop sent an unreadable screenshot", exc)
            return False
        except Exception as exc:  # never let the loop die: say what happened and go on
            self._fail(None, exc)
            return False
        self._last_data, self._drawn_as = data, drawn_as
        frame = Frame(image, source[0], source[1], clock.wall(), clock.monotonic() - started)
        self._recovered()
        if renderer is not self._renderer:  # switched while this frame was on its way
            self._frame = frame
            return True
        self.show_frame(frame, cells, encoded)
        return True

    def _same_frame(self, data: bytes, drawn_as: tuple[object, ...]) -> bool:
        """Whether ``data`` is the picture on show, drawn the same way: then it is not
        decoded or drawn again, only its time moves (an idle desktop sends the same bytes
        every time, and decoding and drawing them was most of an idle preview's CPU)."""
        frame = self._frame
        if frame is None or data != self._last_data or drawn_as != self._drawn_as:
            return False
        self._recovered()
        self._shown(replace(frame, captured_at=clock.wall()))
        return True

    def _recovered(self) -> None:
        """A capture succeeded: after failures, say so once."""
        if self._failures:
            self._failures = 0
            self.post_message(self.CaptureRecovered(self))

    def _screenshot(self) -> Coroutine[Any, Any, bytes]:
        """Ask the desktop for a preview frame (JPEG)."""
        return self._client.screenshot(
            self._target,
            image_format="jpeg",
            quality=PREVIEW_JPEG_QUALITY,
            http_timeout=max(10.0, self.interval * 2),
        )

    def _drop_prefetch(self) -> None:
        """Forget the next live frame asked for ahead (live mode ended, paused, hidden)."""
        prefetched, self._prefetch = self._prefetch, None
        if prefetched is None:
            return
        task = prefetched[0]
        if task.done():
            if not task.cancelled():
                task.exception()  # retrieved: a failed request that no one awaits is no error
        else:
            task.cancel()

    def _start_redecode(self, delay: float = 0.2) -> Worker[None]:
        """:meth:`_redecode` in a worker that replaces any before it. The worker gets a
        coroutine function, not a coroutine: one replaced before it starts (resizes come
        in bursts) is then never made."""

        async def redecode() -> None:
            await self._redecode(delay)

        return self.run_worker(redecode, group="redecode", exclusive=True, exit_on_error=False)

    async def _redecode(self, delay: float = 0.2) -> None:
        """Shrink the last frame again for the pane's new size (or a new renderer)."""
        await asyncio.sleep(delay)  # resizes come in bursts
        data, frame, renderer = self._last_data, self._frame, self._renderer
        if data is None or frame is None:
            return
        box, cell, needs = self._frame_box(), self._cell_size(), self._pixel_needs()
        try:
            image, _, cells, encoded = await asyncio.to_thread(
                prepare_frame, data, box, cell, needs, self._encoder()
            )
        except (OSError, ValueError, SyntaxError):
            return
        if self._frame is frame and renderer is self._renderer:  # nothing newer meanwhile
            self._frame = Frame(image, frame.width, frame.height, frame.captured_at, frame.latency)
            self._cells, self._encoded = cells, encoded
            self._set_image(image)

    async def _read_pointer(self) -> tuple[int, int] | None:
        """Where the desktop's pointer is (marked on the picture in control mode)."""
        try:
            position = await self._client.pointer_position(self._target, http_timeout=5.0)
        except asyncio.CancelledError:
            raise
        except Exception:  # the frame comes without the mark; the screenshot says the rest
            return None
        self.pointer = (position.x, position.y)
        return self.pointer

    def _fail(self, prefix: str | None, exc: Exception) -> None:
        """Show why the last attempt failed; the first failure of an outage is logged."""
        first = self._failures == 0
        self._failures += 1
        line = report("screen preview", exc) if first else one_line(exc)
        self.stale = self._frame is not None
        self.error = f"{prefix}: {line}" if prefix else line
        if first:
            self.post_message(self.CaptureFailed(self, self.error))

    def _loop_failed(self, exc: Exception | None) -> None:
        """Capturing reports its own failures; this is the loop's, which never ends it."""
        if exc is not None:
            self._fail(None, exc)

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # ── saving ──

    async def _save_screenshot(self) -> None:
        """Fetch a full-resolution PNG and save it under a new name in the download dir."""
        directory = self._settings.download_dir
        self._saving += 1
        self._update_status()
        try:
            stem = screenshot_stem(clock.wall())
            try:
                data = await self._client.screenshot(
                    self._target, image_format="png", http_timeout=30.0
                )
                path, size = await asyncio.to_thread(save_png, data, directory, stem)
            except asyncio.CancelledError:
                raise
            except ValueError as exc:
                message = str(exc)
            except Exception as exc:
                message = report("save screenshot", exc)
            else:
                self.notify(
                    f"Screenshot saved to {path} ({size[0]}x{size[1]})",
                    title="Saved",
                    markup=False,
                )
                self.post_message(self.ScreenshotSaved(self, path, size))
                return
            self.notify(f"Screenshot not saved: {message}", severity="error", markup=False)
        finally:
            self._saving -= 1
            self._update_status()

    # ── helpers ──

    def _set_image(self, image: PILImage.Image) -> None:
        try:
            widget = self.query_one("#frame", self._renderer)
        except Exception:  # being replaced (set_renderer)
            return
        show_on(widget, image, self._cells, self._encoded)

    def _encoder(self) -> Encoder | None:
        """What makes the current renderer's frames in the decoding thread, if anything."""
        return encoder_of(self._renderer, self._text_colours())

    def _text_colours(self) -> ColorSystem | None:
        """In live mode, the colours Textual writes to this terminal in, for frames made as
        the terminal's text (:func:`~tui.widgets.renderers.encoder_of`); ``None`` otherwise
        and with ``NO_COLOR`` (the picture goes through Textual's filters then)."""
        if not self.live or self.app.no_color:
            return None
        return COLOR_SYSTEMS.get(self.app.console.color_system or "")

    def _frame_box(self) -> Size:
        try:
            size = self.query_one("#viewport").content_size
        except Exception:
            size = Size(0, 0)
        if size.width <= 0 or size.height <= 0:
            size = Size(max(1, self.size.width), max(1, self.size.height - 1))
        return sixel_limited(size, getattr(self._renderer, "MODE", ""), self._cell_size())

    def _cell_size(self) -> tuple[int, int]:
        return cell_size()

    def _pixel_needs(self) -> PixelNeeds:
        return pixel_needs(self._renderer)

    def _sync_classes(self) -> None:
        self.set_class(self.paused, "-paused")
        self.set_class(self.live, "-live")
        self.set_class(self.stale, "-stale")
        self.set_class(self.controlling, "-control")
        self._update_status()

    def _status_text(self) -> str:
        parts: list[str] = []
        frame = self._frame
        if frame is not None:
            parts.append(f"{frame.width}x{frame.height}")
            parts.append(clock.clock_text(frame.captured_at))
            parts.append(clock.age_text(clock.wall() - frame.captured_at) + " ago")
        if self.paused:
            parts.append("paused (p)")
        elif self.live:
            interval, share = self._live_interval(), live_cpu_share(self._renderer)
            if share is not None and interval > 1.1 / live_fps(self._renderer):
                held = f"held to {round(100 * share)} % of a core"
                parts.append(f"live, {1.0 / interval:.0f}/s ({held})")
            else:
                parts.append("live")
        else:
            parts.append(_format_interval(self.interval))
        if self._saving:
            parts.append("saving PNG…")
        if self.controlling:
            parts.insert(0, "CONTROL: ctrl+] leaves")
        if self.error:
            parts.insert(0, ("stale: " if frame is not None else "") + self.error)
        elif frame is None and not self.paused:
            parts.insert(0, "waiting for the first frame")
        return " · ".join(parts)

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        try:
            status = self.query_one("#status", StatusLine)
        except Exception:
            return
        status.show(self._status_text())


def sixel_limited(box: Size, mode: str, cell: tuple[int, int]) -> Size:
    """``box`` narrowed, in Sixel mode, to what the terminal shows: xterm drops a Sixel
    image wider than its ``maxGraphicSize`` (1000 pixels unless set), and every band of
    the picture is one image as wide as the picture. The picture is then smaller, not blank."""
    limit = terminal_answers().sixel_max if mode == "sixel" else None
    if limit is None:
        return box
    return Size(max(1, min(box.width, limit[0] // max(1, cell[0]))), box.height)
