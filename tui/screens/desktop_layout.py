"""How the desktop screen's wide grid shares the terminal: the preview first, by its aspect.

No widgets here, only arithmetic: :func:`wide_layout` turns the terminal's size, the
desktop's resolution and a cell's shape into the grid's column and row sizes, which
:class:`~tui.screens.desktop.DesktopScreen` sets on its ``#panes`` grid.

    +-------------+------------------------------+
    | processes   | preview (the desktop's       |
    | display     |  aspect, as big as it fits)  |
    +-------------+                              |
    | logs        +------------------------------+
    |             | recordings                   |
    +-------------+------------------------------+

The logs take the left column's height (a log is long, and wraps), the recordings what the
preview leaves under it (a list of a few rows).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SIDE_WIDTH", "WideLayout", "wide_layout"]

SIDE_WIDTH = 54
"""The left column's narrowest width: the process table's, window list's and recordings'
fixed columns (52 cells with their padding) and a border."""

SIDE_SHARE = 0.4
"""The left column's largest share of the width: on a very wide, short terminal the
preview's pane is wider than its image (centred) rather than the left column a field."""

BOTTOM_ROWS = 8
"""The recordings pane's fewest rows: its border, status line, header and four rows."""

PREVIEW_CHROME = (2, 3)
"""Columns and rows of the preview pane that are not image: its border (and, in rows, its
status line)."""

CHROME_ROWS = 2
"""Rows of the screen outside the grid: the header and the footer."""


@dataclass(frozen=True, slots=True)
class WideLayout:
    """The grid's sizes in cells: the left column's width and the preview's height (the
    preview's column is the rest of the width; the recordings under it the rest of the
    height)."""

    side: int
    top: int

    @property
    def grid_columns(self) -> str:
        """The screen's two columns: the left one, and the preview's."""
        return f"{self.side} 1fr"

    @property
    def grid_rows(self) -> str:
        """The preview's column: the preview, and the recordings under it."""
        return f"{self.top} 1fr"


def wide_layout(
    size: tuple[int, int], desktop: tuple[int, int], cell: tuple[int, int]
) -> WideLayout:
    """The grid for a terminal of ``size`` cells showing a desktop of ``desktop`` pixels.

    ``cell`` is a terminal cell in pixels (width, height): a 16:10 desktop drawn in cells
    twice as tall as wide takes about 3.2 columns per row. The preview takes every column
    the left column can spare, and as many rows as that width needs (keeping ``BOTTOM_ROWS``
    for the recordings); when the height is what limits it, the columns it cannot use go to the
    left column (up to ``SIDE_SHARE`` of the width), so no pane is left with empty cells
    another one could use.
    """
    width, height = size
    body = max(1, height - CHROME_ROWS)
    chrome_w, chrome_h = PREVIEW_CHROME
    desk_w, desk_h = desktop
    cell_w, cell_h = cell
    if min(desk_w, desk_h, cell_w, cell_h) <= 0:
        desk_w, desk_h, cell_w, cell_h = 16, 10, 1, 2
    rows_per_column = (desk_h / desk_w) * (cell_w / cell_h)
    image_cols = max(1, width - SIDE_WIDTH - chrome_w)
    image_rows = max(1, round(image_cols * rows_per_column))
    most_rows = max(1, body - BOTTOM_ROWS - chrome_h)
    # Whole rows: the image is as wide as those rows make it (the height may limit it
    # more), and the left column gets what is left over.
    image_rows = min(image_rows, most_rows)
    image_cols = min(image_cols, max(1, round(image_rows / rows_per_column)))
    side = max(SIDE_WIDTH, min(width - image_cols - chrome_w, int(width * SIDE_SHARE)))
    top = min(body - 1, image_rows + chrome_h)
    return WideLayout(side=side, top=max(1, top))
