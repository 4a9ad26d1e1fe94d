"""The fleet's table: one row per desktop, keyed, changed in place, reordered without losing
the cursor's desktop."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from tui.widgets.table_sync import cursor_key

__all__ = ["COLUMNS", "FleetTable"]

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("mark", " ", 1),
    ("desktop", "Desktop", 22),
    ("state", "State", 9),
    ("health", "Health", 11),
    ("processes", "X F V N", 7),
    ("restarts", "Rst", 3),
    ("recording", "Rec", 3),
    ("seen", "Status", 6),
    ("template", "Template", 20),
    ("age", "Age", 6),
    ("reason", "Why", 32),
)
"""Key, header and width of each column. ``processes`` holds a mark for each of xvfb,
xfce4, x11vnc and novnc."""

type Cells = Sequence[Text | str]


class FleetTable(DataTable[Text | str]):
    """Rows keyed by desktop; :meth:`show` makes them match an order and cells.

    Only rows whose cells changed are updated; a new order moves rows without removing
    them, and the cursor follows the desktop it was on. :meth:`refresh_visible` updates the
    rows on screen only (the once-a-second ages: 5,000 rows re-rendered every second cost
    61 ms a second, the rows on screen a few).
    """

    DEFAULT_CSS = """
    FleetTable {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "first_row", "First", id="fleet.first", tooltip="The first row"),
        Binding("end", "last_row", "Last", id="fleet.last", tooltip="The last row"),
        Binding("pageup", "page_up", "Page up", id="fleet.page_up", tooltip="A page up"),
        Binding("pagedown", "page_down", "Page down", id="fleet.page_down", tooltip="A page down"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id, zebra_stripes=False)
        self._order: list[str] = []

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, width=width, key=key)

    @property
    def order(self) -> list[str]:
        """The keys shown, top to bottom."""
        return list(self._order)

    @property
    def cursor_desktop(self) -> str | None:
        """The key of the desktop under the cursor."""
        return cursor_key(self)

    def show(self, order: Sequence[str], cells: Mapping[str, Cells]) -> None:
        """Show the rows ``order`` names, in that order.

        ``cells`` holds the cells of every row that is new or may have changed (a row
        already shown and absent from ``cells`` is left as it is).
        """
        keep = self.cursor_desktop
        wanted = set(order)
        for gone in [k for k in self._order if k not in wanted]:
            self.remove_row(gone)
        columns = [column.key for column in self.ordered_columns]
        for key in order:
            row = cells.get(key)
            if key not in self.rows:
                assert row is not None, f"no cells for the new row {key}"
                self.add_row(*row, key=key)
            elif row is not None:
                for column, before, after in zip(columns, self.get_row(key), row, strict=True):
                    if before != after:
                        self.update_cell(key, column, after)
        order = list(order)
        if order != self._order:
            self._order = order
            self._reorder(order)
        if keep is not None and keep in wanted:
            self.move_cursor(row=self.get_row_index(keep), scroll=False)

    def _reorder(self, order: Sequence[str]) -> None:
        # DataTable.sort's own way of moving rows (it keeps every row and cell), with the
        # order given rather than computed from the cells.
        self._row_locations = TwoWayDict({RowKey(key): i for i, key in enumerate(order)})
        self._update_count += 1
        self.refresh()

    def visible_keys(self) -> list[str]:
        """The keys of the rows on screen now."""
        top = int(self.scroll_y)
        height = max(0, self.scrollable_content_region.height - self.header_height)
        return self._order[top : top + height + 1]

    def refresh_visible(self, cells_for: Callable[[str], Cells]) -> None:
        """Update the rows on screen from ``cells_for`` (the others wait until shown)."""
        self.show(self._order, {key: cells_for(key) for key in self.visible_keys()})

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=max(0, self.row_count - 1))
