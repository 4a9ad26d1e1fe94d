"""The lines of one log: appended in batches, wrapped on demand, search matches highlighted."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive, var
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["LogLines", "clean_line"]

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def clean_line(line: str) -> str:
    """One log line as it can be drawn: ANSI sequences dropped, tabs expanded, a carriage
    return keeping what was written last, other control characters shown as ``�``."""
    line = _ANSI.sub("", line.rstrip("\r"))
    if "\r" in line:
        line = line.rsplit("\r", 1)[-1]
    return _CONTROL.sub("\ufffd", line.expandtabs())


class LogLines(ScrollView, can_focus=True):
    """The lines of one log, drawn lazily (only the rows on screen are rendered).

    Text arrives with :meth:`append` in whatever pieces the caller has (a piece may end in
    the middle of a line, which the next piece continues); at most ``max_lines`` lines are
    kept, the oldest dropped first. Appending never redraws what is already there unless
    the view scrolls.
    """

    DEFAULT_CSS = """
    LogLines {
        background: $surface;
        color: $text;
        overflow-y: scroll;
        overflow-x: auto;
        &.-wrap {
            overflow-x: hidden;
        }
        &:focus {
            background-tint: $foreground 5%;
        }
        & > .log-lines--match {
            background: $warning 45%;
            text-style: bold;
        }
        & > .log-lines--current-match {
            background: $accent;
            color: $text-accent;
            text-style: bold reverse;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"log-lines--match", "log-lines--current-match"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]

    wrap: reactive[bool] = reactive(True)
    """Wrap long lines at the pane's width instead of scrolling sideways (a scroll bar
    shows, while off, only when a line is wider than the pane)."""

    search: reactive[str] = reactive("")
    """Text to highlight, ignoring case; empty for none."""

    follow: var[bool] = var(True)
    """Keep the newest line in view as lines arrive (while the view is at the end)."""

    @dataclass
    class MatchesChanged(Message):
        """The number of lines matching the search, or the current match, changed."""

        log_lines: LogLines
        count: int
        """Lines with at least one match."""
        current: int | None
        """1-based position of the current match among them, if one is selected."""

        @property
        def control(self) -> LogLines:
            return self.log_lines

    def __init__(
        self,
        *,
        max_lines: int = 20_000,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_lines = max_lines
        self._lines: list[str] = []
        self._cells: list[int] = []
        self._open = False  # the last line has no newline yet: the next piece continues it
        self._dropped = 0  # lines dropped from the top so far: absolute index = index + this
        self._max_width = 0
        self._wrap_width = 0
        self._row_starts: list[int] = [0]  # wrap mode: first row of each line, then the total
        self._pattern: re.Pattern[str] | None = None
        self._matches: list[int] = []  # absolute indices of lines with a match
        self._current: int | None = None  # absolute index of the current match
        self._strips: LRUCache[int, Strip] = LRUCache(2048)
        self._view_height = 0  # rows of the view at the last resize

    # ── what is held ──

    @property
    def lines(self) -> list[str]:
        """The lines held (cleaned for display), oldest first. Do not modify."""
        return self._lines

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def match_count(self) -> int:
        return len(self._matches)

    # ── adding and removing text ──

    def append(self, text: str) -> None:
        """Add ``text``; a piece without a final newline leaves its last line open."""
        if not text:
            return
        pieces = text.split("\n")
        ends_open = pieces[-1] != ""
        if not ends_open:
            pieces.pop()
        was_at_end = self.is_vertical_scroll_end or not self._lines
        if len(pieces) > self.max_lines:
            # Only the newest max_lines can stay: skip the work for the rest, and for what
            # is held now, which they would push out anyway.
            skipped = len(pieces) - self.max_lines
            self._drop_all(skipped)
            pieces = pieces[skipped:]
        first_new = len(self._lines)
        if self._open and self._lines and pieces:
            # The first piece finishes the line the previous text left open.
            first_new -= 1
            joined = clean_line(self._lines[-1] + pieces.pop(0))
            self._set_last(joined)
        for raw in pieces:
            self._add(clean_line(raw))
        self._open = ends_open
        self._find_matches(first_new)
        dropped = self._prune()
        self._update_virtual_size(rebuild=dropped > 0, first_changed=max(0, first_new - dropped))
        if self.follow and was_at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif dropped and not self.wrap:
            self.scroll_to(y=max(0, self.scroll_y - dropped), animate=False, immediate=True)
        self.refresh()
        if self._pattern is not None:
            self._post_matches()

    def clear(self) -> None:
        """Drop every line."""
        self._lines.clear()
        self._cells.clear()
        self._open = False
        self._dropped = 0
        self._max_width = 0
        self._matches.clear()
        self._current = None
        self._strips.clear()
        self._row_starts = [0]
        self._update_virtual_size(rebuild=True)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def _drop_all(self, more: int) -> None:
        """Drop every held line, counting ``more`` lines that were never held as dropped."""
        self._dropped += len(self._lines) + more
        self._lines.clear()
        self._cells.clear()
        self._open = False
        self._matches.clear()
        self._current = None
        self._strips.clear()

    def _add(self, line: str) -> None:
        width = cell_len(line)
        self._lines.append(line)
        self._cells.append(width)
        self._max_width = max(self._max_width, width)

    def _set_last(self, line: str) -> None:
        width = cell_len(line)
        self._lines[-1] = line
        self._cells[-1] = width
        self._max_width = max(self._max_width, width)
        self._strips.discard(self._dropped + len(self._lines) - 1)

    def _prune(self) -> int:
        """Drop the oldest lines beyond ``max_lines``; how many went."""
        excess = len(self._lines) - self.max_lines
        if excess <= 0:
            return 0
        del self._lines[:excess]
        del self._cells[:excess]
        self._dropped += excess
        cut = bisect_left(self._matches, self._dropped)
        if cut:
            del self._matches[:cut]
        if self._current is not None and self._current < self._dropped:
            self._current = None
        return excess

    # ── geometry ──

    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _update_virtual_size(self, *, rebuild: bool = False, first_changed: int = 0) -> None:
        if not self.wrap:
            self.virtual_size = Size(self._max_width, len(self._lines))
            return
        width = self._content_width()
        starts = self._row_starts
        # starts[i] is the first row of line i, and starts[-1] the number of rows: lines
        # before ``keep`` are unchanged, so their entries stay.
        keep = 0 if rebuild or width != self._wrap_width else min(first_changed, len(starts) - 1)
        del starts[keep + 1 :]
        total = starts[keep]
        for cells in self._cells[keep:]:
            total += max(1, -(-cells // width))
            starts.append(total)
        self._wrap_width = width
        self.virtual_size = Size(width, starts[-1])

    def rows_at(self, width: int) -> int:
        """Rows the lines take in a view ``width`` cells wide: wrapped, their folded rows;
        not wrapped, a row each, and one for the scroll bar when a line is wider."""
        width = max(1, width)
        if not self.wrap:
            return len(self._lines) + (1 if self._max_width > width else 0)
        if width == self._wrap_width and len(self._row_starts) == len(self._lines) + 1:
            return self._row_starts[-1]
        return sum(max(1, -(-cells // width)) for cells in self._cells)

    def on_resize(self, event: events.Resize) -> None:
        # Following, with the last line in view: keep it in view at the new height.
        at_end = round(self.scroll_y) + self._view_height >= self.virtual_size.height
        self._view_height = self.scrollable_content_region.height
        if self.wrap:
            top = self._line_at_row(round(self.scroll_y))
            self._update_virtual_size(rebuild=True)
            self._scroll_to_line(top, center=False)
        if self.follow and at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _line_at_row(self, row: int) -> int:
        """Index (into ``lines``) of the line shown on virtual row ``row``."""
        if not self._lines:
            return 0
        if not self.wrap:
            return min(row, len(self._lines) - 1)
        return max(0, min(bisect_right(self._row_starts, row) - 1, len(self._lines) - 1))

    def _row_of_line(self, index: int) -> int:
        if not self.wrap:
            return index
        return self._row_starts[min(index, len(self._row_starts) - 1)]

    def _scroll_to_line(self, index: int, *, center: bool = True, column: int = 0) -> None:
        row = self._row_of_line(index)
        height = self.scrollable_content_region.height
        y = max(0, row - height // 2) if center else row
        x = None
        if not self.wrap:
            width = self._content_width()
            if not (self.scroll_x <= column < self.scroll_x + width):
                x = max(0, column - width // 3)
        self.scroll_to(x=x, y=y, animate=False, immediate=True)

    # ── watchers ──

    def watch_wrap(self, wrap: bool) -> None:
        top = self._line_at_row(round(self.scroll_y)) if not wrap else round(self.scroll_y)
        self.set_class(wrap, "-wrap")
        self._update_virtual_size(rebuild=True)
        self.scroll_to(x=0, animate=False, immediate=True)
        self._scroll_to_line(top, center=False)
        self.refresh()

    def watch_search(self, search: str) -> None:
        self._pattern = re.compile(re.escape(search), re.IGNORECASE) if search else None
        self._matches = []
        self._current = None
        self._find_matches(0)
        self._strips.clear()
        self.refresh()
        self._post_matches()

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # ── search ──

    def _find_matches(self, start: int) -> None:
        """Record the lines from ``start`` (an index into ``lines``) that match."""
        pattern = self._pattern
        if pattern is None:
            return
        base = self._dropped
        found = [
            base + i for i, line in enumerate(self._lines[start:], start) if pattern.search(line)
        ]
        if found:
            # The first line may have been re-checked (an open line that grew).
            while self._matches and self._matches[-1] >= found[0]:
                self._matches.pop()
            self._matches.extend(found)

    def select_match(self, forward: bool = True) -> bool:
        """Make the next (or previous) matching line current and scroll it into view.

        Starts from the current match, or from the top of the view; wraps around at either
        end. Returns ``False`` when nothing matches.
        """
        matches = self._matches
        if not matches:
            return False
        if self._current is not None:
            if forward:
                pos = bisect_right(matches, self._current)
            else:
                pos = bisect_left(matches, self._current) - 1
        else:
            top = self._dropped + self._line_at_row(round(self.scroll_y))
            pos = bisect_left(matches, top) - (0 if forward else 1)
        target = matches[pos % len(matches)]
        previous, self._current = self._current, target
        for absolute in (previous, target):
            if absolute is not None:
                self._strips.discard(absolute)
        index = target - self._dropped
        column = 0
        if self._pattern is not None and (hit := self._pattern.search(self._lines[index])):
            column = cell_len(self._lines[index][: hit.start()])
        self._scroll_to_line(index, column=column)
        self.refresh()
        self._post_matches()
        return True

    def _post_matches(self) -> None:
        current = None
        if self._current is not None:
            current = bisect_left(self._matches, self._current) + 1
        self.post_message(self.MatchesChanged(self, len(self._matches), current))

    # ── rendering ──

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if not self._lines:
            return Strip.blank(width, style)
        if self.wrap:
            if row >= self._row_starts[-1]:
                return Strip.blank(width, style)
            index = bisect_right(self._row_starts, row) - 1
            start = (row - self._row_starts[index]) * self._wrap_width
            strip = self._strip(index).crop_extend(start, start + self._wrap_width, style)
            return strip.extend_cell_length(width, style)
        if row >= len(self._lines):
            return Strip.blank(width, style)
        return self._strip(row).crop_extend(scroll_x, scroll_x + width, style)

    def _strip(self, index: int) -> Strip:
        absolute = self._dropped + index
        cached = self._strips.get(absolute)
        if cached is not None:
            return cached
        line = self._lines[index]
        text = Text(line, no_wrap=True, end="")
        text.stylize(self.rich_style)
        if self._pattern is not None and line:
            component = (
                "log-lines--current-match" if absolute == self._current else "log-lines--match"
            )
            match_style: Style = self.get_component_rich_style(component)
            for hit in self._pattern.finditer(line):
                text.stylize(match_style, hit.start(), hit.end())
        segments = list(text.render(self.app.console)) or [Segment("")]
        strip = Strip(segments, self._cells[index])
        self._strips[absolute] = strip
        return strip
