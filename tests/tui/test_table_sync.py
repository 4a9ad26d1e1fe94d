"""sync_rows: a DataTable brought in line with the rows wanted, changing only what changed."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.widgets.table_sync import sync_rows


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(cursor_type="row")
        table.add_column("Name", key="name")
        table.add_column("Value", key="value")
        yield table


async def test_rows_are_removed_added_and_changed_in_place() -> None:
    app = TableApp()
    async with app.run_test():
        table = app.query_one(DataTable)
        sync_rows(table, {"a": ("a", "1"), "b": ("b", "2"), "c": ("c", "3")})
        updated: list[tuple[object, object, object]] = []
        update_cell = table.update_cell

        def spy(row: Any, column: Any, value: Any, **kwargs: Any) -> None:
            updated.append((row, column, value))
            update_cell(row, column, value, **kwargs)

        table.update_cell = spy  # type: ignore[method-assign]
        sync_rows(table, {"d": ("d", "4"), "c": ("c", "30"), "b": ("b", "2")})

        assert [key.value for key in table.rows] == ["b", "c", "d"]  # kept place, new last
        assert table.get_row("c") == ["c", "30"]
        assert updated == [("c", "value", "30")]  # only the changed cell
