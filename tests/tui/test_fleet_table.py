"""The fleet table's columns: they fit the screen, the reason column first to stay readable."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.widgets.fleet_table import COLUMNS, FleetTable, column_widths


def total(widths: dict[str, int]) -> int:
    return 1 + sum(widths.values()) + 2 * (len(widths) - 1)


def test_the_reason_column_takes_the_room_left() -> None:
    widths = column_widths(200)
    assert total(widths) == 200
    assert widths["reason"] > 30
    assert widths["desktop"] == 22 and widths["template"] == 20


def test_narrow_screens_squeeze_the_template_then_the_desktop_then_the_reason() -> None:
    widths = column_widths(120)
    assert total(widths) == 120
    assert widths["template"] == 10  # squeezed first
    assert widths["reason"] >= 16
    narrow = column_widths(80)
    least = {c.key: c.least for c in COLUMNS}
    assert narrow == least  # past the least widths the table scrolls
    assert total(narrow) > 80


def test_a_hidden_column_gives_its_room_to_the_reason() -> None:
    shown = column_widths(120)
    hidden = column_widths(120, frozenset({"template"}))
    assert "template" not in hidden
    assert total(hidden) == 120
    assert hidden["reason"] > shown["reason"]
    assert hidden["desktop"] == 22


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield FleetTable()


def row(key: str, reason: str) -> tuple[str, ...]:
    return ("", key, "running", "degraded", "● ○ ● ●", "", "", "1s", "", "3m", reason)


async def test_new_rows_get_their_cells_only_when_first_drawn() -> None:
    made: list[str] = []

    def cells_for(key: str) -> tuple[str, ...]:
        made.append(key)
        return row(key, "made when drawn")

    class LazyApp(App[None]):
        def compose(self) -> ComposeResult:
            yield FleetTable(cells_for=cells_for)

    app = LazyApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(FleetTable)
        keys = [f"sbx-{i:04d}" for i in range(5000)]
        table.show(keys, {})  # 5,000 rows, no cells yet
        await pilot.pause()
        assert 0 < len(made) <= 12 and made == keys[: len(made)]  # the rows on screen
        assert "made when drawn" in "".join(s.text for s in table.render_line(1))
        table.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert keys[-1] in made and len(made) <= 30
        assert str(table.cell("sbx-2500", "desktop")) == "sbx-2500"  # asked for: made


async def test_at_120_columns_the_reason_is_read_whole_without_scrolling() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(FleetTable)
        table.hide_columns(frozenset({"template"}))
        reason = "cannot connect: connection refused"
        table.show(["local:one"], {"local:one": row("local:one", reason)})
        await pilot.pause()
        assert table.virtual_size.width <= table.size.width
        assert not table.show_horizontal_scrollbar
        line = "".join(s.text for s in table.render_line(1))
        assert reason in line
        header = "".join(s.text for s in table.render_line(0))
        assert "Template" not in header and "Why" in header
        # A sandbox with a template brings the column back.
        table.hide_columns(frozenset())
        await pilot.pause()
        header = "".join(s.text for s in table.render_line(0))
        assert "Template" in header
