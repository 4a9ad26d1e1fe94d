"""Opening a URL in the user's web browser, from the dashboard or a command. No Textual."""

from __future__ import annotations

import logging
import os
import sys
import webbrowser

__all__ = ["has_graphical_browser", "open_in_browser"]

log = logging.getLogger("tui")


def has_graphical_browser() -> bool:
    """Whether :mod:`webbrowser` can start a graphical browser.

    Without a display it would fall back to a text browser (w3m, lynx) in this very
    terminal, on top of whatever runs in it.
    """
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> bool:
    """Open ``url`` in a graphical browser (blocking: run it in a thread); whether one
    started. Never a text browser: ``False`` without a display."""
    if not has_graphical_browser():
        return False
    try:
        return webbrowser.open(url, new=2)
    except Exception as exc:
        log.info("opening %s in a browser failed: %s", url.split("?")[0], exc, exc_info=exc)
        return False
