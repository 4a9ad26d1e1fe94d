"""The defaults of the settings and the client, written once: where Leap0 is, how long to wait."""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "ALERT_CHOICES",
    "DEFAULT_BASE_URL",
    "DEFAULT_DOWNLOAD_RETRY_SECONDS",
    "DEFAULT_GRAPHICS",
    "DEFAULT_PREVIEW_INTERVAL",
    "DEFAULT_SANDBOX_DOMAIN",
    "DEFAULT_TIMEOUT",
    "GRAPHICS_CHOICES",
    "HEARTBEAT",
    "STREAM_READ_TIMEOUT",
    "AlertSetting",
    "GraphicsSetting",
]

DEFAULT_BASE_URL = "https://api.leap0.dev"
"""The Leap0 control plane (``LEAP0_BASE_URL`` overrides it)."""

DEFAULT_SANDBOX_DOMAIN = "sandbox.leap0.dev"
"""Where cloud sandboxes answer, ``https://{sandbox_id}.{domain}`` (``LEAP0_SANDBOX_DOMAIN``)."""

DEFAULT_TIMEOUT = 30.0
"""Seconds a request may take, connecting included, unless a call says otherwise."""

HEARTBEAT = 2.0
"""Seconds between two events of a desktop's status stream at most (Leap0 and the local host)."""

STREAM_READ_TIMEOUT = 5 * HEARTBEAT
"""Seconds the status stream may stay silent before it counts as dead (five heartbeats)."""

DEFAULT_PREVIEW_INTERVAL = 1.0
"""Seconds between two screenshots of the preview."""

DEFAULT_DOWNLOAD_RETRY_SECONDS = 300.0
"""Seconds a download cut by the network keeps trying to resume before it gives up."""

GraphicsSetting = Literal["auto", "kitty", "sixel", "symbols", "halfcell"]
"""How the preview draws: ``auto`` asks the terminal; the others force one way."""

GRAPHICS_CHOICES: Final[tuple[GraphicsSetting, ...]] = (
    "auto",
    "kitty",
    "sixel",
    "symbols",
    "halfcell",
)
"""The values of the ``graphics`` setting (``--graphics``, ``LEAP0_GRAPHICS``)."""

DEFAULT_GRAPHICS: Final[GraphicsSetting] = "auto"
"""Draw the preview the best way the terminal says it can."""

AlertSetting = Literal["toast", "bell", "notify", "off"]
"""How the fleet says a followed desktop went wrong: a toast; a toast and the terminal's
bell; a toast and a desktop notification (OSC 777 and OSC 9); or not at all (the alerts
are still listed)."""

ALERT_CHOICES: Final[tuple[AlertSetting, ...]] = ("toast", "bell", "notify", "off")
