"""What the commands print: one JSON document, or aligned columns coloured only on a
terminal (``NO_COLOR`` honoured); failures as one line on stderr."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import IO, Any

from tui.commands.exits import FAILED, USAGE

__all__ = ["Output", "agreed", "as_json"]

_COLOURS = {"green": "32", "yellow": "33", "red": "31", "dim": "2", "bold": "1"}


def as_json(value: Any) -> Any:
    """A wire model (or a list of them) as JSON data: the API's own field names, every
    field present (``null`` when the desktop did not say), so a script can rely on them."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    return value


def _wants_colour(stream: IO[str]) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Output:
    """Where a command's results and messages go."""

    def __init__(self, *, json_mode: bool, out: IO[str] | None = None, err: IO[str] | None = None):
        self.json_mode = json_mode
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.colour = _wants_colour(self.out)
        self.err_colour = _wants_colour(self.err)

    # ── results ──

    def json(self, value: Any) -> None:
        """One JSON document on stdout (indented on a terminal, one line when piped)."""
        indent = 2 if self.colour else None
        print(json.dumps(as_json(value), indent=indent, ensure_ascii=False), file=self.out)

    def line(self, text: str = "") -> None:
        print(text, file=self.out)

    def paint(self, text: str, colour: str | None) -> str:
        if not colour or not self.colour:
            return text
        return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[tuple[str, str | None] | str]],
    ) -> None:
        """Aligned columns under ``headers``; a cell is text or ``(text, colour)``."""
        cells = [[c if isinstance(c, tuple) else (c, None) for c in row] for row in rows]
        widths = [len(h) for h in headers]
        for row in cells:
            for i, (text, _) in enumerate(row):
                widths[i] = max(widths[i], len(text))
        last = len(headers) - 1
        head = "  ".join(
            h.upper().ljust(widths[i] if i < last else 0) for i, h in enumerate(headers)
        )
        self.line(self.paint(head.rstrip(), "bold"))
        for row in cells:
            parts = [
                self.paint(text.ljust(widths[i]) if i < last else text, colour)
                for i, (text, colour) in enumerate(row)
            ]
            self.line("  ".join(parts).rstrip())

    # ── messages ──

    def error(self, message: str) -> None:
        prefix = "\x1b[31mleap0-tui:\x1b[0m" if self.err_colour else "leap0-tui:"
        print(f"{prefix} {message}", file=self.err)

    def note(self, message: str) -> None:
        """A line for the person at the terminal (stderr, so stdout stays the result)."""
        print(message, file=self.err)


async def agreed(question: str, *, yes: bool, out: Output, verb: str) -> int | None:
    """``None`` when the person agrees (or ``yes``); else the exit status to end with:
    usage (2) with no terminal to ask on, failed (1) when they say no. ``verb`` names the
    action in the messages ("restarting", "deleting")."""
    answer = True if yes else await asyncio.to_thread(_ask, question, out)
    if answer is None:
        out.error(f"not {verb} without a terminal to ask on: add --yes")
        return USAGE
    if not answer:
        out.note(f"Not {verb}: nothing was done.")
        return FAILED
    return None


def _ask(question: str, out: Output) -> bool | None:
    """``y``/``N`` on the terminal; ``None`` when stdin is not one. Blocking."""
    if not sys.stdin.isatty():
        return None
    out.err.write(f"{question} [y/N] ")
    out.err.flush()
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        out.err.write("\n")
        return False
    return answer.strip().lower() in ("y", "yes")
