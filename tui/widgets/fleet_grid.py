"""The fleet as a grid of live thumbnails: one tile per desktop, its name, health and screen.

The screen gives the grid the same rows as the table (:meth:`FleetGrid.show`: the order,
the targets, the reports, the marks); the grid keeps as many tiles as fit on screen and
shows the rows from its top row on, so 5,000 desktops cost a screenful of widgets. Only
the tiles on screen are fetched, a few at a time, each every few seconds
(:class:`tui.thumbnail_schedule.ThumbnailSchedule`; ``+`` and ``-`` change the interval),
and nothing while another screen is on top. A thumbnail is a JPEG of low quality, decoded
at reduced size and drawn in the decoding thread by the very pipeline of the desktop
screen's preview (:func:`tui.frames.prepare_frame` and the image widget of the
``graphics`` setting, :mod:`tui.widgets.renderers`). A desktop not followed or not reached
shows why instead of a picture.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from PIL import Image as PILImage
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, get_current_worker

from core.errors import Leap0Error
from core.fleet_health import DesktopReport, Health, reason_for
from core.fleet_targets import FleetTarget
from tui import clock
from tui.failures import report as failure_line
from tui.frames import prepare_frame
from tui.graphics import cell_size
from tui.polling import wait
from tui.thumbnail_schedule import DEFAULT_INTERVAL, ThumbnailSchedule, step_interval
from tui.widgets.renderers import encoder_of, pixel_needs, renderer_for, show_on

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient

__all__ = ["FleetGrid", "Tile"]

TILE_WIDTH = 30
"""The narrowest tile, in cells (border included): 28 columns of picture."""

TILE_HEIGHT = 12
"""A tile's height, in cells: the border, 9 rows of picture and a line under it (a 16:10
screen 28 columns wide takes about 9 rows of cells twice as tall as wide)."""

THUMBNAIL_QUALITY = 40
"""JPEG quality asked for thumbnails (the spec's screenshot has no size parameter: the
desktop sends its whole screen, decoded here at an eighth of its size or so)."""

PICTURES_KEPT = 256
"""Thumbnails kept for tiles that left the screen, shown at once when they come back."""

_HIDDEN_POLL = 0.5
"""Seconds between checks whether a hidden grid (or one under another screen) shows again."""


@dataclass(frozen=True, slots=True)
class _Picture:
    """A thumbnail as drawn: the image, the cells it covers, what the renderer draws it from."""

    image: PILImage.Image
    cells: tuple[int, int]
    encoded: Any
    renderer: type[Widget]


class Tile(Widget):
    """One desktop: its name (and mark) in the border's title, its health in words under
    it, in the health's colour, and its screen or why there is none."""

    DEFAULT_CSS = """
    Tile {
        height: 100%;
        border: round $foreground 30%;
        border-title-align: left;
        border-subtitle-align: right;
        layout: vertical;
        & > #viewport {
            height: 1fr;
            & > Center {
                height: auto;
            }
        }
        & #frame {
            width: auto;
            height: auto;
        }
        & #why {
            width: 100%;
            height: auto;
            text-align: center;
            color: $text-muted;
            padding: 0 1;
        }
        & > #line {
            height: 1;
            color: $text-muted;
        }
    }
    """

    desktop: reactive[str | None] = reactive(None, init=False)
    """The key of the desktop shown (``None``: an empty place after the last row)."""

    def __init__(self, renderer: type[Widget], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.renderer = renderer
        self.picture: _Picture | None = None
        """The thumbnail on show, if any."""
        self.failure: str | None = None
        """Why the last fetch failed, one line (the picture, if any, is older)."""
        self._why = ""
        self._reason = ""
        self._said: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        with Middle(id="viewport"):
            with Center():
                yield self.renderer(id="frame")
            yield Static("", id="why", markup=False)
        yield Static("", id="line", markup=False)

    def on_mount(self) -> None:
        self.query_one("#frame").display = False

    @property
    def box(self) -> Size:
        """The cells the picture may take."""
        try:
            size = self.query_one("#viewport").content_size
        except Exception:
            size = Size(0, 0)
        if size.width <= 0 or size.height <= 0:
            return Size(TILE_WIDTH - 2, TILE_HEIGHT - 3)
        return size

    def describe(
        self,
        target: FleetTarget | None,
        report: DesktopReport,
        marked: bool,
        cursor: bool,
        why: str | None,
    ) -> None:
        """Show ``target`` with ``report``; ``why`` (not ``None``) replaces the picture."""
        said = (target, report.health, report.reason, marked, cursor, why, self.failure)
        if said == self._said:
            return
        self._said = said
        self.visible = target is not None
        if target is None:
            return
        health = report.health.value
        self.border_title = ("✓ " if marked else "") + target.label
        self.border_subtitle = health
        for kind in Health:
            self.set_class(kind.value == health, f"-{kind.value}")
        self.set_class(cursor, "-cursor")
        self.set_class(marked, "-marked")
        self._why = why or ""
        self._reason = report.reason or ""
        self._sync_picture()

    def show_picture(self, picture: _Picture | None) -> None:
        """Draw ``picture`` (``None``: none yet for this desktop)."""
        self.picture = picture
        if picture is not None:
            frame = self.query_one("#frame")
            cells = picture.cells if picture.renderer is self.renderer else None
            encoded = picture.encoded if picture.renderer is self.renderer else None
            show_on(frame, picture.image, cells, encoded)
        self._sync_picture()

    def _sync_picture(self) -> None:
        shown = self.picture is not None and not self._why
        self.query_one("#frame").display = shown
        why = self.query_one("#why", Static)
        why.display = not shown
        if not shown:
            why.update(
                self._why or (f"⚠ {self.failure}" if self.failure else "waiting for a picture")
            )
        # Under the picture: why the last fetch failed (the picture is older), or the
        # health's reason ("xfce4 down"); nothing where the middle already says why.
        if self._why:
            line = ""
        elif shown and self.failure:
            line = f"⚠ {self.failure}"
        else:
            line = self._reason
        self.query_one("#line", Static).update(line, layout=False)


class FleetGrid(Widget, can_focus=True):
    """The fleet's rows as tiles, a screenful at a time; the cursor is a desktop, as in
    the table."""

    DEFAULT_CSS = """
    FleetGrid {
        height: 1fr;
        layout: grid;
        grid-size: 4;
        grid-rows: 12;
        grid-gutter: 0 1;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("left", "cursor_left", "Left", show=False),
        Binding("right", "cursor_right", "Right", show=False),
        Binding("home", "first", "First", show=False, id="grid.first", tooltip="The first tile"),
        Binding("end", "last", "Last", show=False, id="grid.last", tooltip="The last tile"),
        Binding(
            "pageup",
            "page_up",
            "Page up",
            show=False,
            id="grid.page_up",
            tooltip="A screen of tiles up",
        ),
        Binding(
            "pagedown",
            "page_down",
            "Page down",
            show=False,
            id="grid.page_down",
            tooltip="A screen of tiles down",
        ),
        Binding("enter", "select", "Open", show=False),
        Binding(
            "plus,equals_sign",
            "faster",
            "Faster",
            key_display="+",
            id="grid.faster",
            tooltip="Fetch the thumbnails more often",
        ),
        Binding(
            "minus",
            "slower",
            "Slower",
            key_display="-",
            id="grid.slower",
            tooltip="Fetch the thumbnails less often",
        ),
    ]

    interval: reactive[float] = reactive(DEFAULT_INTERVAL, init=False)
    """Seconds between two fetches of one tile."""

    @dataclass
    class _Event(Message):
        grid: FleetGrid

        @property
        def control(self) -> FleetGrid:
            return self.grid

    @dataclass
    class CursorMoved(_Event):
        """The cursor moved to another desktop (the screen keeps the table's with it)."""

        key: str

    @dataclass
    class TileSelected(_Event):
        """Enter (or a double click) on a desktop's tile."""

        key: str

    class FilterRequested(Message):
        """``/`` on the grid: the keys after it are passed on as :class:`TypedAhead`."""

    @dataclass
    class TypedAhead(_Event):
        """A printable key that reached the grid while :attr:`forward_typing` is on."""

        character: str

    forward_typing: bool = False
    """Pass printable keys on as :class:`TypedAhead` (a filter is opening)."""

    def __init__(
        self,
        client: AsyncDesktopClient,
        *,
        renderer: type[Widget] | None = None,
        graphics: str = "auto",
        interval: float = DEFAULT_INTERVAL,
        id: str | None = None,
    ) -> None:
        """Thumbnails fetched through ``client``, drawn by ``renderer`` (default: the one
        for the ``graphics`` setting on this terminal, as the desktop screen's preview)."""
        super().__init__(id=id)
        self._client = client
        self.renderer: type[Widget] = renderer or renderer_for(graphics)
        self._schedule = ThumbnailSchedule(interval)
        self.set_reactive(FleetGrid.interval, interval)
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._targets: Mapping[str, FleetTarget] = {}
        self._reports: Mapping[str, DesktopReport] = {}
        self._marks: Collection[str] = ()
        self._cursor = 0
        self._top = 0
        """The first row of tiles on screen."""
        self._columns = 1
        self._rows = 1
        self._pictures: OrderedDict[str, _Picture] = OrderedDict()
        self._failures: dict[str, str] = {}
        self._fetches: dict[str, Worker[None]] = {}
        self._wake: asyncio.Event | None = None
        self._fitting = asyncio.Lock()
        self.request_count = 0
        """Screenshots asked for since mount (tests and benchmarks read it)."""

    # ── what is shown ──

    @property
    def cursor_desktop(self) -> str | None:
        """The key of the desktop under the cursor."""
        if 0 <= self._cursor < len(self._order):
            return self._order[self._cursor]
        return None

    @property
    def order(self) -> list[str]:
        return list(self._order)

    @property
    def tiles(self) -> list[Tile]:
        return list(self.query_children(Tile))

    def visible_keys(self) -> list[str]:
        """The keys of the tiles on screen now."""
        if not self.display:
            return []
        start = self._top * self._columns
        return self._order[start : start + self._columns * self._rows]

    def tile_of(self, key: str) -> Tile | None:
        """The tile showing ``key``, if it is on screen."""
        for tile in self.query_children(Tile):
            if tile.desktop == key:
                return tile
        return None

    def show(
        self,
        order: Sequence[str],
        targets: Mapping[str, FleetTarget],
        reports: Mapping[str, DesktopReport],
        marks: Collection[str],
    ) -> None:
        """Show the rows ``order`` names (as the table does), the cursor on its desktop."""
        keep = self.cursor_desktop
        self._targets, self._reports, self._marks = targets, reports, marks
        if list(order) != self._order:
            self._order = list(order)
            self._index = {key: i for i, key in enumerate(self._order)}
            if keep is not None and keep in self._index:
                self._cursor = self._index[keep]
            else:
                self._cursor = min(self._cursor, max(0, len(self._order) - 1))
        self._place()

    def move_to(self, key: str | None) -> None:
        """Put the cursor on ``key``'s tile (if shown)."""
        if key is not None and key in self._index:
            self._set_cursor(self._index[key])

    # ── composition and layout ──

    def on_mount(self) -> None:
        self._wake = asyncio.Event()
        self.border_title = self._title()
        self.run_worker(self._fetch_loop(), name="thumbnails", group="thumbnails",
                        exit_on_error=False)  # fmt: skip

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._fit)

    def on_show(self) -> None:
        self.call_after_refresh(self._fit)

    async def _fit(self) -> None:
        """As many tiles as fit in the grid's size, in columns at least ``TILE_WIDTH`` wide."""
        async with self._fitting:  # a resize and a show come together: one at a time
            size = self.content_size
            if size.width <= 0 or size.height <= 0:
                return
            columns = max(1, (size.width + 1) // (TILE_WIDTH + 1))
            rows = max(1, size.height // TILE_HEIGHT)
            self._columns, self._rows = columns, rows
            self.styles.grid_size_columns = columns
            tiles = self.tiles
            wanted = columns * rows
            if len(tiles) > wanted:
                await self.remove_children(tiles[wanted:])
            elif len(tiles) < wanted:
                await self.mount_all(Tile(self.renderer) for _ in range(wanted - len(tiles)))
            self._scroll_to_cursor()
            self._place()

    def _place(self) -> None:
        """Give each tile on screen its desktop and the fetch schedule the tiles on screen."""
        if not self.is_mounted:
            return
        visible = self.visible_keys()
        start = self._top * self._columns
        for i, tile in enumerate(t for t in self.tiles if t.is_mounted):
            key = visible[i] if i < len(visible) else None
            if tile.desktop != key:
                tile.desktop = key
                tile.failure = self._failures.get(key) if key is not None else None
                tile.show_picture(self._pictures.get(key) if key is not None else None)
            if key is None:
                tile.describe(None, DesktopReport(""), False, False, None)
                continue
            target = self._targets.get(key)
            report = self._reports.get(key) or DesktopReport(key)
            tile.describe(
                target, report, key in self._marks, start + i == self._cursor, _why(target, report)
            )
        fetchable = [k for k in visible if _fetchable(self._targets.get(k), self._reports.get(k))]
        for key in self._schedule.set_visible(fetchable):
            worker = self._fetches.pop(key, None)
            if worker is not None:
                worker.cancel()
        self._poke()

    # ── fetching ──

    async def _fetch_loop(self) -> None:
        """Start the fetches that are due, whenever the grid is on a screen the user sees."""
        while True:
            delay: float | None = _HIDDEN_POLL
            if self._showing():
                now = clock.monotonic()
                for key in self._schedule.due(now):
                    self._start(key)
                delay = self._schedule.wait(now)
            await wait(delay if delay is not None else _HIDDEN_POLL, self._wake)

    def _showing(self) -> bool:
        """Whether the user sees the grid: displayed, on the top screen or under a dialog
        only (``Screen.is_current`` is also true under a whole screen, the desktop's)."""
        try:
            stack = self.app.screen_stack
            mine = self.screen
        except Exception:  # no screen yet, or being removed
            return False
        on_top = stack[-1] is mine or (
            isinstance(stack[-1], ModalScreen) and len(stack) > 1 and stack[-2] is mine
        )
        return on_top and self.display and self.is_mounted

    def _start(self, key: str) -> None:
        target = self._targets.get(key)
        if target is None:
            self._schedule.done(key, ok=False)
            return
        tile = self.tile_of(key)
        box = tile.box if tile is not None else Size(TILE_WIDTH - 2, TILE_HEIGHT - 3)

        # A coroutine function, not a coroutine: a fetch cancelled before it starts is
        # then never made (as RecordingsBrowser.refresh_list does).
        async def fetch() -> None:
            await self._fetch(key, target, box)

        self._fetches[key] = self.run_worker(fetch, group="thumbnail", exit_on_error=False)

    async def _fetch(self, key: str, target: FleetTarget, box: Size) -> None:
        """Fetch, decode and draw one thumbnail (decoding and drawing in a thread)."""
        renderer = self.renderer
        me = get_current_worker()
        ok = False
        self.request_count += 1
        try:
            data = await self._client.screenshot(
                target.ref,
                image_format="jpeg",
                quality=THUMBNAIL_QUALITY,
                http_timeout=max(5.0, self.interval),
            )
            image, _, cells, encoded = await asyncio.to_thread(
                prepare_frame,
                data,
                box,
                cell_size(),
                pixel_needs(renderer),
                encoder_of(renderer),
            )
        except asyncio.CancelledError:
            raise
        except (OSError, ValueError, SyntaxError) as exc:
            failure = f"unreadable screenshot ({exc})"
        except Leap0Error as exc:
            failure = reason_for(exc)
        except Exception as exc:  # never let the grid die: one line in the tile
            failure = failure_line("thumbnail", exc)
        else:
            ok, failure = True, ""
            picture = _Picture(image, cells, encoded, renderer)
            self._pictures[key] = picture
            self._pictures.move_to_end(key)
            while len(self._pictures) > PICTURES_KEPT:
                self._pictures.popitem(last=False)
        finally:
            # A fetch cancelled (its tile left) may end after a new one of the same key
            # started: only the current one counts.
            if self._fetches.get(key) is me:
                del self._fetches[key]
                self._schedule.done(key, ok=ok)
                self._poke()
        if ok:
            self._failures.pop(key, None)
        else:
            self._failures[key] = failure
        tile = self.tile_of(key)
        if tile is not None:
            tile.failure = None if ok else failure
            tile.show_picture(self._pictures.get(key))
            self._place()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def set_renderer(self, renderer: type[Widget]) -> None:
        """Draw with ``renderer`` from now on: the tiles are made again, fetched at once."""
        if renderer is self.renderer:
            return
        self.renderer = renderer
        self._pictures.clear()
        await self.remove_children(self.tiles)
        self._schedule.set_visible([])
        await self._fit()

    # ── the interval ──

    def action_faster(self) -> None:
        self.interval = step_interval(self.interval, faster=True)

    def action_slower(self) -> None:
        self.interval = step_interval(self.interval, faster=False)

    def watch_interval(self, interval: float) -> None:
        self._schedule.interval = interval
        self.border_title = self._title()
        self._poke()

    def _title(self) -> str:
        return f"thumbnails every {self.interval:g} s (+/-)"

    # ── the cursor ──

    def _set_cursor(self, index: int) -> None:
        if not self._order:
            return
        index = max(0, min(index, len(self._order) - 1))
        moved = index != self._cursor
        self._cursor = index
        self._scroll_to_cursor()
        self._place()
        key = self.cursor_desktop
        if moved and key is not None:
            self.post_message(self.CursorMoved(self, key))

    def _scroll_to_cursor(self) -> None:
        row = self._cursor // self._columns
        if row < self._top:
            self._top = row
        elif row >= self._top + self._rows:
            self._top = row - self._rows + 1
        last = max(0, -(-len(self._order) // self._columns) - self._rows)
        self._top = max(0, min(self._top, last))

    def action_cursor_up(self) -> None:
        if self._cursor >= self._columns:
            self._set_cursor(self._cursor - self._columns)

    def action_cursor_down(self) -> None:
        if self._cursor + self._columns < len(self._order):
            self._set_cursor(self._cursor + self._columns)
        elif self._cursor // self._columns < (len(self._order) - 1) // self._columns:
            self._set_cursor(len(self._order) - 1)  # the last row is short

    def action_cursor_left(self) -> None:
        self._set_cursor(self._cursor - 1)

    def action_cursor_right(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self._order) - 1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_page_down(self) -> None:
        self._page(1)

    def _page(self, direction: int) -> None:
        """A screen of tiles up or down: the tiles and the cursor move by as many rows."""
        self._top += direction * self._rows
        self._set_cursor(self._cursor + direction * self._columns * self._rows)

    def action_select(self) -> None:
        key = self.cursor_desktop
        if key is not None:
            self.post_message(self.TileSelected(self, key))

    def key_slash(self, event: events.Key) -> None:
        # As the table: handled in the grid's own queue, so the keys right behind it find
        # forward_typing on.
        event.stop()
        self.forward_typing = True
        self.post_message(self.FilterRequested())

    def on_key(self, event: events.Key) -> None:
        if self.forward_typing and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.post_message(self.TypedAhead(self, event.character))

    def on_click(self, event: events.Click) -> None:
        widget = event.widget
        while widget is not None and not isinstance(widget, Tile):
            widget = widget.parent if isinstance(widget.parent, Widget) else None
        if widget is None or widget.desktop is None:
            return
        index = self._index.get(widget.desktop)
        if index is None:
            return
        if index == self._cursor and event.chain > 1:
            self.action_select()
        self._set_cursor(index)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._set_cursor(self._cursor + self._columns)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._set_cursor(self._cursor - self._columns)

    def on_unmount(self) -> None:
        for worker in self._fetches.values():
            worker.cancel()
        self._fetches.clear()


def _fetchable(target: FleetTarget | None, report: DesktopReport | None) -> bool:
    """Whether a tile's screen is fetched: its desktop is followed and not unreachable
    (the fleet keeps trying it; the tile says why meanwhile)."""
    if target is None or not target.followable:
        return False
    return report is None or report.health is not Health.UNREACHABLE


def _why(target: FleetTarget | None, report: DesktopReport) -> str | None:
    """What a tile shows instead of a picture: why its desktop is not fetched."""
    if target is None:
        return "gone"
    if not target.followable:
        return target.reason or "not followed"
    if report.health is Health.UNREACHABLE:
        return f"unreachable: {report.reason}" if report.reason else "unreachable"
    return None
