"""Delivering the fleet's alerts: a toast, and the terminal's bell or a desktop notification.

Desktop notifications are OSC 777 (``notify;title;body``: foot, WezTerm, kitty, urxvt...)
and OSC 9 (iTerm2, Windows Terminal, kitty, WezTerm); a terminal that knows neither ignores
both. They are written through Textual's driver, in between its frames, so they never land
inside a frame being painted.
"""

from __future__ import annotations

import re

from textual.app import App

from core.fleet_alerts import Alert

__all__ = ["deliver", "notification_sequences"]

TITLE = "leap0"

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f;]")


def notification_sequences(title: str, body: str) -> str:
    """OSC 777 then OSC 9 for one notification (control characters and ``;`` dropped, so
    the text cannot end the sequence or start another)."""
    title = _UNSAFE.sub(" ", title)
    body = _UNSAFE.sub(" ", body)
    return f"\x1b]777;notify;{title};{body}\x1b\\\x1b]9;{title}: {body}\x1b\\"


def deliver(app: App[object], alert: Alert, how: str) -> None:
    """Say ``alert`` the way the config's ``alerts`` says (``off``: not at all)."""
    if how == "off":
        return
    app.notify(alert.line, title="Alert", severity="warning", markup=False, timeout=8)
    if how == "bell":
        app.bell()
    elif how == "notify":
        driver = app._driver  # Textual's own bell and clipboard write the same way
        if driver is not None:
            driver.write(notification_sequences(TITLE, alert.line))
