"""leap0-tui's own themes (Textual's built-in ones stay available in the palette), and which
one a terminal gets when the user names none.

A terminal that says it has 16 colours (``TERM=xterm`` and no ``COLORTERM``: plain xterm,
mlterm, many SSH sessions) gets :data:`LEAP0_ANSI`, drawn in the terminal's own palette:
the dark theme's colours squeezed into 16 give grey on blue for the selected row. One that
says it has more (``COLORTERM=truecolor``/``24bit``, ``TERM=*-256color``, or its own
answer to XTVERSION naming a terminal known to have more: :func:`colour_system`) gets the
dark theme. With ``NO_COLOR`` Textual draws every colour of the dark theme in grey, which
keeps the selected row and the focus apart; the ANSI theme's colours would be dropped,
leaving them nowhere (see :func:`theme_for`).
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.theme import Theme

__all__ = ["ANSI_THEME", "DEFAULT_THEME", "THEMES", "colour_system", "theme_for"]

LEAP0_DARK = Theme(
    name="leap0-dark",
    primary="#4C8DF6",
    secondary="#8B7CF6",
    accent="#F5A524",
    warning="#F5A524",
    error="#F0605D",
    success="#3CCB7F",
    foreground="#DDE3EC",
    background="#0E131B",
    surface="#151C27",
    panel="#1D2634",
    dark=True,
)

LEAP0_LIGHT = Theme(
    name="leap0-light",
    primary="#1F64D6",
    secondary="#6B4FD8",
    accent="#B86E00",
    warning="#B86E00",
    error="#C62F2C",
    success="#178A4C",
    foreground="#1B2330",
    background="#F4F6FA",
    surface="#FFFFFF",
    panel="#E4E9F1",
    dark=False,
)

LEAP0_ANSI = Theme(
    name="leap0-ansi",
    ansi=True,
    primary="ansi_blue",
    secondary="ansi_cyan",
    accent="ansi_magenta",
    warning="ansi_yellow",
    error="ansi_red",
    success="ansi_green",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    dark=True,
    variables={
        # Textual's ansi-dark, with the selected row, the focus and the footer's keys in
        # colours that read on a dark palette and a light one (mlterm's is white): magenta,
        # not yellow, for the accent.
        "ansi-background": "ansi_black",
        "ansi-foreground": "ansi_white",
        "border-blurred": "ansi_bright_black",
        "block-cursor-foreground": "ansi_black",
        "block-cursor-background": "ansi_cyan",
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-foreground": "ansi_bright_white",
        "block-cursor-blurred-background": "ansi_bright_black",
        "block-hover-background": "ansi_bright_black",
        "footer-key-foreground": "ansi_magenta",
        "footer-description-foreground": "ansi_default",
        "input-cursor-background": "ansi_black",
        "input-cursor-foreground": "ansi_bright_white",
        "input-cursor-text-style": "none",
        "input-selection-background": "ansi_bright_blue",
        "input-selection-foreground": "ansi_black",
        "screen-selection-background": "ansi_bright_blue",
        "screen-selection-foreground": "ansi_black",
    },
)
"""For terminals of 16 colours: every colour is one of the terminal's own."""

THEMES: tuple[Theme, ...] = (LEAP0_DARK, LEAP0_LIGHT, LEAP0_ANSI)
DEFAULT_THEME = LEAP0_DARK.name
ANSI_THEME = LEAP0_ANSI.name

FEW_COLOURS = frozenset({"standard", "windows"})
"""Rich's names for the colour systems of 16 (or 8) colours."""


COLOURS_OF: Mapping[str, str] = {
    "kitty": "truecolor",
    "wezterm": "truecolor",
    "foot": "truecolor",
    "ghostty": "truecolor",
    "iterm2": "truecolor",
    "contour": "truecolor",
    "konsole": "truecolor",
    "xterm": "truecolor",
    "mlterm": "truecolor",
}
"""The colours a terminal has, by the name it gives in its XTVERSION answer (lower case).
All of these draw 24-bit colour (xterm since patch 331, Debian's 379 included); a terminal
not named here keeps what ``TERM`` says. 256 is not worth raising to: Rich squeezes the dark
theme's slate greys into the 6x6x6 cube's navy."""

_RANK = {None: 0, "windows": 1, "standard": 1, "256": 2, "truecolor": 3}


def colour_system(found: str | None, terminal: str) -> str | None:
    """Rich's colour system ``found`` (from ``COLORTERM`` and ``TERM``), raised to what
    ``terminal`` (the name XTVERSION gave; ``""`` for none) is known to have; never
    lowered, and left alone where Rich found none (``TERM=dumb``)."""
    said = COLOURS_OF.get(terminal)
    if found is None or said is None or _RANK[said] <= _RANK.get(found, 0):
        return found
    return said


def theme_for(color_system: str | None, *, no_color: bool = False) -> str:
    """The theme for a terminal whose colours Rich found to be ``color_system``
    (``Console.color_system``: from ``COLORTERM`` and ``TERM``): the ANSI theme for 16
    colours or none known, the dark one for 256 or true colour, and with ``no_color``
    (``NO_COLOR`` set) the dark one, in grey."""
    if no_color:
        return DEFAULT_THEME
    if color_system is None or color_system in FEW_COLOURS:
        return ANSI_THEME
    return DEFAULT_THEME
