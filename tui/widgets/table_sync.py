"""Bringing a DataTable's rows in line with what should be shown, changing only what changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from textual.widgets import DataTable

__all__ = ["sync_rows"]


def sync_rows(table: DataTable[Any], rows: Mapping[str, Sequence[Any]]) -> None:
    """Make ``table`` show ``rows``: row key to cells, in the table's column order.

    Rows whose key is not in ``rows`` are removed, new keys are added at the end (in the
    order of ``rows``; rows already shown keep their place), and in rows already shown
    only the cells that differ are updated in place. The table is never cleared, so the
    cursor and the scroll position stay, and no column is re-measured (``update_width``
    on a big table costs seconds). What the table holds is compared, so a cell changed
    elsewhere (a single ``update_cell``) is compared as it is now.
    """
    for gone in [key.value for key in table.rows if key.value not in rows]:
        table.remove_row(gone)
    columns = [column.key for column in table.ordered_columns]
    for key, cells in rows.items():
        if key not in table.rows:
            table.add_row(*cells, key=key)
            continue
        for column, before, after in zip(columns, table.get_row(key), cells, strict=True):
            if before != after:
                table.update_cell(key, column, after)
