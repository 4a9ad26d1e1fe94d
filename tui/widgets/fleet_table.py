"""The fleet's table: one line per desktop, keyed, changed in place, reordered without losing
the cursor's desktop, each line rendered once per change."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["COLUMNS", "Cells", "Column", "FleetTable", "column_widths"]


@dataclass(frozen=True)
class Column:
    """A column: its key, its header, its width when there is room, and the narrowest it
    may be squeezed to when there is not (``least == width``: fixed)."""

    key: str
    header: str
    width: int
    least: int


COLUMNS: tuple[Column, ...] = (
    Column("mark", " ", 1, 1),
    Column("desktop", "Desktop", 22, 14),
    Column("state", "State", 9, 9),
    Column("health", "Health", 11, 11),
    Column("processes", "X F V N", 7, 7),
    Column("restarts", "Rst", 3, 3),
    Column("recording", "Rec", 3, 3),
    Column("seen", "Status", 6, 6),
    Column("template", "Template", 20, 10),
    Column("age", "Age", 5, 5),
    Column("reason", "Why", 30, 16),
)
"""The columns, left to right. ``processes`` holds a mark for each of xvfb, xfce4, x11vnc
and novnc. The last one ("Why") takes whatever room is left."""

SQUEEZE_ORDER = ("template", "desktop", "reason")
"""Which columns give up room first when the table is wider than the screen."""

_GAP = 2
_INDEX = {column.key: i for i, column in enumerate(COLUMNS)}


def column_widths(available: int, hidden: frozenset[str] = frozenset()) -> dict[str, int]:
    """Each shown column's width in ``available`` cells (the gaps and the leading space
    included): every column at its width, the last one widened to fill the room, or
    squeezed (``SQUEEZE_ORDER``) down to their least widths when there is too little;
    past that the table is wider than the screen and scrolls."""
    shown = [c for c in COLUMNS if c.key not in hidden]
    widths = {c.key: c.width for c in shown}
    used = 1 + sum(widths.values()) + _GAP * (len(shown) - 1)
    last = shown[-1].key
    if used < available:
        widths[last] += available - used
        return widths
    by_key = {c.key: c for c in shown}
    for key in SQUEEZE_ORDER:
        if used <= available:
            break
        column = by_key.get(key)
        if column is None:
            continue
        take = min(used - available, widths[key] - column.least)
        widths[key] -= take
        used -= take
    return widths


type Cells = Sequence[Text | str]


class FleetTable(ScrollView, can_focus=True):
    """Rows keyed by desktop; :meth:`show` makes them match an order and cells.

    Why not a ``DataTable``: any change to one of its cells re-renders every row on screen
    (its caches are keyed by one update counter), 50-150 ms a frame with a few hundred
    cells on a loaded machine, and the fleet changes a row several times a second. Here
    each row's line is rendered when its cells (or the cursor) change, and only the lines
    that changed are repainted; a new order repaints the screen from the cached lines.
    """

    DEFAULT_CSS = """
    FleetTable {
        height: 1fr;
        background: $surface;
        & > .fleet-table--header {
            text-style: bold;
            color: $foreground;
            background: $panel;
        }
        & > .fleet-table--cursor {
            background: $block-cursor-blurred-background;
        }
        &:focus > .fleet-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"fleet-table--header", "fleet-table--cursor"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding(
            "home", "first_row", "First", show=False, id="fleet.first", tooltip="The first row"
        ),
        Binding("end", "last_row", "Last", show=False, id="fleet.last", tooltip="The last row"),
        Binding(
            "pageup", "page_up", "Page up", show=False, id="fleet.page_up", tooltip="A page up"
        ),
        Binding(
            "pagedown",
            "page_down",
            "Page down",
            show=False,
            id="fleet.page_down",
            tooltip="A page down",
        ),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, layout=False, repaint=False)
    """The index of the row under the cursor."""

    @dataclass
    class RowSelected(Message):
        """Enter (or a click on the row under the cursor) on a desktop's row."""

        table: FleetTable
        key: str

        @property
        def control(self) -> FleetTable:
            return self.table

    @dataclass
    class TypedAhead(Message):
        """A printable key that reached the table while :attr:`forward_typing` is on."""

        table: FleetTable
        character: str

    forward_typing: bool = False
    """Pass printable keys on as :class:`TypedAhead` (a filter is opening: the keys typed
    right after the one that opened it were already on their way here)."""

    def __init__(
        self, *, cells_for: Callable[[str], Cells] | None = None, id: str | None = None
    ) -> None:
        """``cells_for`` makes the cells of a row :meth:`show` was given none for, when the
        row is first drawn (a listing's thousands of new rows cost nothing until seen)."""
        super().__init__(id=id)
        self._cells_for = cells_for
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._cells: dict[str, tuple[Text | str, ...]] = {}
        self._lines: dict[tuple[str, bool], Strip] = {}
        self._hidden: frozenset[str] = frozenset()
        self._widths = column_widths(0)
        self._width = self._total_width()

    # ── what is shown ──

    @property
    def order(self) -> list[str]:
        """The keys shown, top to bottom."""
        return list(self._order)

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def cursor_desktop(self) -> str | None:
        """The key of the desktop under the cursor."""
        if 0 <= self.cursor_row < len(self._order):
            return self._order[self.cursor_row]
        return None

    def hide_columns(self, hidden: frozenset[str]) -> None:
        """Show every column but ``hidden`` (such as a Template column no row fills)."""
        if hidden != self._hidden:
            self._hidden = hidden
            self._layout_columns()

    def _layout_columns(self) -> None:
        self._widths = column_widths(self.size.width, self._hidden)
        self._width = self._total_width()
        self.virtual_size = Size(self._width, len(self._order) + 1)
        self._lines.clear()
        self.refresh()

    def _total_width(self) -> int:
        return 1 + sum(self._widths.values()) + _GAP * (len(self._widths) - 1)

    def cell(self, key: str, column: str) -> Text | str:
        """What row ``key`` shows in ``column``."""
        return self._row_cells(key)[_INDEX[column]]

    def _row_cells(self, key: str) -> tuple[Text | str, ...]:
        row = self._cells.get(key)
        if row is None:
            if self._cells_for is None:
                raise KeyError(f"no cells for the row {key!r}")
            row = self._cells[key] = tuple(self._cells_for(key))
        return row

    def show(self, order: Sequence[str], cells: Mapping[str, Cells]) -> None:
        """Show the rows ``order`` names, in that order; the cursor stays on its desktop.

        ``cells`` holds the cells of every row that may have changed, and of every new
        row unless the table has ``cells_for`` (a row already shown and absent from
        ``cells`` is left as it is).
        """
        keep = self.cursor_desktop
        changed: list[str] = []
        for key, row in cells.items():
            row = tuple(row)
            if self._cells.get(key) != row:
                self._cells[key] = row
                self._forget_line(key)
                changed.append(key)
        order = list(order)
        if order != self._order:
            wanted = set(order)
            for gone in [k for k in self._order if k not in wanted]:
                self._cells.pop(gone, None)
                self._forget_line(gone)
            if self._cells_for is None:
                missing = [k for k in order if k not in self._cells]
                assert not missing, f"no cells for the new rows {missing[:3]}"
            self._order = order
            self._index = {key: i for i, key in enumerate(order)}
            self.virtual_size = Size(self._width, len(order) + 1)
            if keep is not None and keep in self._index:
                self._set_cursor(self._index[keep], scroll=False)
            else:
                self._set_cursor(min(self.cursor_row, max(0, len(order) - 1)), scroll=False)
            self.refresh()
            return
        for key in changed:
            self._refresh_row(key)

    def visible_keys(self) -> list[str]:
        """The keys of the rows on screen now."""
        top = round(self.scroll_y)
        return self._order[top : top + max(0, self.size.height - 1)]

    def refresh_visible(self, cells_for: Callable[[str], Cells]) -> None:
        """Update the rows on screen from ``cells_for`` (the others wait until shown)."""
        self.show(self._order, {key: cells_for(key) for key in self.visible_keys()})

    # ── rendering ──

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header().crop_extend(0, width, self.rich_style)
        index = round(self.scroll_y) + y - 1
        if not 0 <= index < len(self._order):
            return Strip.blank(width, self.rich_style)
        key = self._order[index]
        cursor = index == self.cursor_row
        line = self._lines.get((key, cursor))
        if line is None:
            line = self._lines[(key, cursor)] = self._render_row(key, cursor)
        return line.crop_extend(0, width, self.rich_style)

    def _header(self) -> Strip:
        style = self.get_component_rich_style("fleet-table--header")
        text = Text(no_wrap=True, style=style)
        gap = ""
        for column in COLUMNS:
            width = self._widths.get(column.key)
            if width is not None:
                text.append(gap + column.header[:width].ljust(width))
                gap = " " * _GAP
        return self._strip(text, style)

    def _render_row(self, key: str, cursor: bool) -> Strip:
        base = self.rich_style
        if cursor:
            base = base + self.get_component_rich_style("fleet-table--cursor")
        text = Text(no_wrap=True, style=base)
        gap = ""
        for column, value in zip(COLUMNS, self._row_cells(key), strict=True):
            width = self._widths.get(column.key)
            if width is None:
                continue
            cell = value if isinstance(value, Text) else Text(value)
            cell = cell.copy()
            cell.truncate(width, overflow="ellipsis", pad=True)
            text.append(gap)
            text.append_text(cell)
            gap = " " * _GAP
        return self._strip(text, base)

    def _strip(self, text: Text, style: Style) -> Strip:
        segments = [Segment(" ", style), *text.render(self.app.console)]
        return Strip(segments).extend_cell_length(self._width, style)

    def _forget_line(self, key: str) -> None:
        self._lines.pop((key, True), None)
        self._lines.pop((key, False), None)

    def _refresh_row(self, key: str) -> None:
        index = self._index.get(key)
        if index is None:
            return
        y = index - round(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def _on_resize(self, event: events.Resize) -> None:
        self._layout_columns()

    # ── the cursor ──

    def _set_cursor(self, row: int, *, scroll: bool = True) -> None:
        row = max(0, min(row, len(self._order) - 1)) if self._order else 0
        old = self.cursor_desktop
        self.cursor_row = row
        new = self.cursor_desktop
        if old != new:
            for key in (old, new):
                if key is not None:
                    self._refresh_row(key)
        if scroll:
            self._scroll_to_cursor()

    def move_to(self, key: str) -> None:
        """Put the cursor on ``key``'s row (if shown)."""
        if key in self._index:
            self._set_cursor(self._index[key])

    def _scroll_to_cursor(self) -> None:
        rows = max(1, self.size.height - 1)
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + rows:
            self.scroll_to(y=self.cursor_row - rows + 1, animate=False)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.refresh()

    def action_cursor_up(self) -> None:
        self._set_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self.cursor_row + 1)

    def action_first_row(self) -> None:
        self._set_cursor(0)

    def action_last_row(self) -> None:
        self._set_cursor(len(self._order) - 1)

    def action_page_up(self) -> None:
        self._set_cursor(self.cursor_row - max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self._set_cursor(self.cursor_row + max(1, self.size.height - 2))

    def action_select(self) -> None:
        key = self.cursor_desktop
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    class FilterRequested(Message):
        """``/`` on the table: the keys after it are passed on as :class:`TypedAhead`."""

    def key_slash(self, event: events.Key) -> None:
        # Handled here, in the table's own queue, so the keys right behind it (already
        # queued here) find forward_typing on.
        event.stop()
        self.forward_typing = True
        self.post_message(self.FilterRequested())

    def on_key(self, event: events.Key) -> None:
        if self.forward_typing and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.post_message(self.TypedAhead(self, event.character))

    async def _on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y - 1
        if event.y < 1 or not 0 <= index < len(self._order):
            return
        if index == self.cursor_row and event.chain > 1:
            self.action_select()
        self._set_cursor(index)
