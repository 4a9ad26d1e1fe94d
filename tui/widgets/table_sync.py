"""DataTable rows by key: kept in line with what should be shown, and the one at the cursor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from textual.widgets import DataTable

__all__ = ["cursor_key", "sync_rows"]


def sync_rows(table: DataTable[Any], rows: Mapping[str, Sequence[Any]]) -> None:
    """Make ``table`` show ``rows``: row key to cells, in the table's column order.

    Rows whose key is not in ``rows`` are removed, new keys are added at the end (in the
    order of ``rows``; rows already shown keep their place), and in rows already shown
    only the cells that differ are updated in place. The table is never cleared, so the
    cursor and the scroll position stay, and no column is re-measured (``update_width``
    on a big table costs seconds). What the table holds is compared, so a cell changed
    elsewhere (a single ``update_cell``) is compared as it is now.
    """
    for gone in [key for key in table.rows if key.value not in rows]:
        table.remove_row(gone)
    columns = [column.key for column in table.ordered_columns]
    for key, cells in rows.items():
        if key not in table.rows:
            table.add_row(*cells, key=key)
            continue
        for column, before, after in zip(columns, table.get_row(key), cells, strict=True):
            if before != after:
                table.update_cell(key, column, after)


def cursor_key(table: DataTable[Any]) -> str | None:
    """The key of the row under ``table``'s cursor, or ``None`` when there is no such row."""
    if not table.is_valid_row_index(table.cursor_row):
        return None
    row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    return row_key.value
