"""Asking the terminal what it can draw, and choosing how the preview draws.

Before Textual owns the terminal, :func:`probe` writes four queries and reads the answers:

* XTVERSION (``CSI > 0 q``): the terminal's name and version (``kitty(0.26.5)``,
  ``XTerm(379)``, ``tmux 3.3a``), for the kitty version that has Unicode placeholders;
* kitty's graphics query (``APC G a=q``): answered ``OK`` where the kitty graphics protocol
  works (kitty, WezTerm, Ghostty, Konsole ...); and a second one whose pixels are in a shared
  memory object (:mod:`tui.shared_memory`), answered ``OK`` only by a terminal on this
  machine that can read them, which the preview then sends frames through;
* DECRQM 2026: synchronized output;
* DA1 (``CSI c``), last: every terminal answers it, so it ends the wait; attribute 4 is
  Sixel.

:func:`choose_mode` turns the ``graphics`` setting and those answers into the drawing mode.
``auto`` never picks what the terminal did not say it can show: kitty graphics where the
query was answered OK, Sixel where DA1 lists it, symbols elsewhere (tmux included: it
passes neither through). No Textual here: the parsing and the choice are plain functions.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import sys
import termios
import time
import tty
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from tui import shared_memory

__all__ = [
    "QUERY",
    "DrawMode",
    "TerminalAnswers",
    "choose_mode",
    "parse_answers",
    "probe",
    "query",
]

DrawMode = Literal["kitty", "sixel", "symbols", "halfcell"]
"""How the preview draws, once ``auto`` is settled (the ``graphics`` setting's values are
:data:`core.defaults.GRAPHICS_CHOICES`)."""

KITTY_PLACEHOLDERS_SINCE: Final = (0, 28)
"""kitty learned Unicode placeholders in 0.28; older ones show boxes for them."""

_KITTY_QUERY_ID: Final = 31
_KITTY_SHM_QUERY_ID: Final = 32
PROBE_PIXEL: Final = b"\0\0\0"
"""The one RGB pixel of the shared memory query."""


def query(shared_memory_name: str | None = None) -> str:
    """What :func:`probe` writes, in one go; with kitty's shared memory query when given the
    name of an object holding :data:`PROBE_PIXEL`."""
    shm = ""
    if shared_memory_name is not None:
        name = shared_memory.kitty_payload(shared_memory_name)
        shm = f"\x1b_Gi={_KITTY_SHM_QUERY_ID},s=1,v=1,a=q,t=s,f=24,S=3;{name}\x1b\\"
    return (
        "\x1b[>0q"  # XTVERSION
        f"\x1b_Gi={_KITTY_QUERY_ID},s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"  # kitty graphics
        f"{shm}"
        "\x1b[?2026$p"  # DECRQM: synchronized output
        "\x1b[16t"  # cell size in pixels (used when the ioctl does not say)
        "\x1b[?2;4;0S"  # XTSMGRAPHICS: the largest Sixel image (xterm drops bigger ones)
        "\x1b[c"  # DA1, answered by every terminal: the end of the answers
    )


QUERY: Final = query()
"""The queries without the shared memory one."""

_XTVERSION = re.compile(r"\x1bP>\|([^\x1b]*)\x1b\\")
_KITTY = re.compile(r"\x1b_G([^;\x1b]*);([^\x1b]*)\x1b\\")
_DECRPM = re.compile(r"\x1b\[\?2026;(\d)\$y")
_CELL = re.compile(r"\x1b\[6;(\d+);(\d+)t")
_DA1 = re.compile(r"\x1b\[\?([0-9;]*)c")
_SIXEL_MAX = re.compile(r"\x1b\[\?2;0;(\d+);(\d+)S")
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class TerminalAnswers:
    """What the terminal said about itself (nothing, for a terminal that did not answer)."""

    name: str = ""
    """XTVERSION's name, lower case (``kitty``, ``xterm``, ``tmux``, ``wezterm``), or ``""``."""
    version: tuple[int, ...] = ()
    """XTVERSION's version numbers, or ``()``."""
    kitty_graphics: bool = False
    """kitty's graphics query was answered ``OK``."""
    kitty_shared_memory: bool = False
    """kitty read the query's pixels from a shared memory object: it runs on this machine,
    and frames can be sent that way (``t=s``)."""
    sixel: bool = False
    """DA1 lists attribute 4 (Sixel)."""
    synchronized_output: bool = False
    """DECRQM says mode 2026 is known (set or reset)."""
    cell: tuple[int, int] | None = None
    """A cell's size in pixels (width, height), if the terminal said."""
    sixel_max: tuple[int, int] | None = None
    """The largest Sixel image the terminal shows (width, height in pixels), if it said
    (XTSMGRAPHICS; xterm's ``maxGraphicSize``, 1000x1000 unless set)."""
    answered: bool = False
    """DA1 came back: the terminal was asked and answered."""
    tmux: bool = False
    """Running inside tmux (XTVERSION or ``$TMUX``): no graphics get through."""

    @property
    def kitty_placeholders(self) -> bool:
        """kitty's Unicode placeholders work: kitty 0.28 or later."""
        return self.name == "kitty" and self.version >= KITTY_PLACEHOLDERS_SINCE

    def describe(self) -> str:
        """One line for the log and the palette: who answered and what it can do."""
        if not self.answered:
            return "the terminal did not answer"
        who = self.name + (" " + ".".join(map(str, self.version)) if self.version else "")
        can = [
            what
            for what, has in (
                ("kitty graphics", self.kitty_graphics),
                ("shared memory", self.kitty_shared_memory),
                ("Sixel", self.sixel),
                ("synchronized output", self.synchronized_output),
            )
            if has
        ]
        return f"{who or 'unnamed terminal'}: {', '.join(can) or 'text only'}"


def parse_answers(text: str, env: Mapping[str, str] | None = None) -> TerminalAnswers:
    """The answers found in ``text`` (whatever the terminal sent back, in any order)."""
    env = os.environ if env is None else env
    name = ""
    version: tuple[int, ...] = ()
    if match := _XTVERSION.search(text):
        name, version = _name_version(match.group(1))
    kitty_ok = {keys for keys, body in _KITTY.findall(text) if body == "OK"}
    kitty = any(f"i={_KITTY_QUERY_ID}" in keys.split(",") for keys in kitty_ok)
    kitty_shm = kitty and any(f"i={_KITTY_SHM_QUERY_ID}" in keys.split(",") for keys in kitty_ok)
    da1 = _DA1.search(text)
    sixel = bool(da1) and "4" in da1.group(1).split(";")  # type: ignore[union-attr]
    sync = bool((m := _DECRPM.search(text)) and m.group(1) in ("1", "2", "3", "4"))
    cell = None
    if (m := _CELL.search(text)) and int(m.group(1)) > 0 and int(m.group(2)) > 0:
        cell = (int(m.group(2)), int(m.group(1)))
    sixel_max = None
    if (m := _SIXEL_MAX.search(text)) and int(m.group(1)) > 0 and int(m.group(2)) > 0:
        sixel_max = (int(m.group(1)), int(m.group(2)))
    return TerminalAnswers(
        sixel_max=sixel_max,
        name=name,
        version=version,
        kitty_graphics=kitty,
        kitty_shared_memory=kitty_shm,
        sixel=sixel,
        synchronized_output=sync,
        cell=cell,
        answered=da1 is not None,
        tmux=name == "tmux" or bool(env.get("TMUX")),
    )


def _name_version(text: str) -> tuple[str, tuple[int, ...]]:
    """``kitty(0.26.5)`` / ``XTerm(379)`` / ``tmux 3.3a`` / ``WezTerm 20240203-...``."""
    head = re.split(r"[ (]", text.strip(), maxsplit=1)
    name = head[0].lower()
    rest = head[1] if len(head) > 1 else ""
    match = _VERSION.search(rest)
    version = tuple(int(part) for part in match.groups() if part is not None) if match else ()
    return name, version


def choose_mode(
    setting: str, answers: TerminalAnswers, *, symbols_available: bool = True
) -> DrawMode:
    """The drawing mode for ``setting`` on a terminal that gave ``answers``.

    An explicit mode is the user's word and is kept (``symbols`` without Chafa becomes
    ``halfcell``). ``auto``: kitty graphics where the terminal answered kitty's query,
    Sixel where DA1 lists it, symbols (or half-cells, without Chafa) elsewhere, and in tmux.
    """
    text: DrawMode = "symbols" if symbols_available else "halfcell"
    if setting in ("kitty", "sixel", "halfcell"):
        return setting  # type: ignore[return-value]
    if setting == "symbols" or answers.tmux:
        return text
    if answers.kitty_graphics:
        return "kitty"
    if answers.sixel:
        return "sixel"
    return text


def probe(timeout: float = 1.0) -> TerminalAnswers:
    """Ask the terminal on stdin/stdout (before Textual reads stdin); never raises.

    Not a terminal, or no DA1 within ``timeout`` seconds: what was read so far (often
    nothing, so ``auto`` draws with symbols).
    """
    out, into = sys.__stdout__, sys.__stdin__
    if not (out and into and out.isatty() and into.isatty()):
        return parse_answers("")
    fd = into.fileno()
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        return parse_answers("")
    received = b""
    shm_name = None
    try:
        if shared_memory.available():
            shared_memory.sweep()  # frames a killed dashboard's kitty never read
            with contextlib.suppress(OSError):
                shm_name = shared_memory.create(PROBE_PIXEL)
        tty.setcbreak(fd, termios.TCSANOW)
        new = termios.tcgetattr(fd)
        new[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSANOW, new)
        os.write(out.fileno(), query(shm_name).encode())
        deadline = time.monotonic() + timeout
        while not _DA1.search(received.decode("latin-1")):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            received += chunk
    except OSError:
        pass
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
        if shm_name is not None:
            shared_memory.unlink(shm_name)  # kitty unlinks what it read; nobody else does
    return parse_answers(received.decode("utf-8", "replace"))
