"""leap0-tui's own themes (Textual's built-in ones stay available in the palette)."""

from __future__ import annotations

from textual.theme import Theme

__all__ = ["DEFAULT_THEME", "THEMES"]

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

THEMES: tuple[Theme, ...] = (LEAP0_DARK, LEAP0_LIGHT)
DEFAULT_THEME = LEAP0_DARK.name
