"""leap0-tui's core: the async desktop client, its wire models and errors, and the local host.

Nothing here imports Textual; the dashboard (``tui``) builds on this package.

The names below are imported when first used, not with the package: the local host
(``core.host``) lives in this package too and needs none of the client (httpx); importing
the client with the package was 250 of the host's 310 ms of imports (measured here).
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

# httpx imports its own command line (click, rich, pygments) with the package whenever
# those are installed, and here they are (uvicorn needs click, the dashboard rich): 70 to
# 115 ms of every start. Nothing here uses httpx's command line, so its module is marked
# absent before anything in core imports httpx (httpx then defines a stub `main`).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: not importable

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient
    from core.downloads import DownloadProgress, DownloadState, progress_line
    from core.errors import (
        Leap0APIError,
        Leap0AuthError,
        Leap0ConflictError,
        Leap0ConnectionError,
        Leap0DownloadError,
        Leap0Error,
        Leap0NotFoundError,
        Leap0RateLimitError,
        Leap0ResponseError,
        Leap0ServerError,
        Leap0StreamError,
        Leap0TimeoutError,
        Leap0ValidationError,
    )
    from core.models import (
        DesktopDisplayInfo,
        DesktopHealth,
        DesktopPointerPosition,
        DesktopProcessErrors,
        DesktopProcessLogs,
        DesktopProcessRestart,
        DesktopProcessStatus,
        DesktopProcessStatusList,
        DesktopRecordingStatus,
        DesktopRecordingSummary,
        DesktopWindow,
    )
    from core.references import DesktopTarget, SandboxRef
    from core.status_feed import FeedState, FeedUpdate, StatusFeed
    from core.transport import AsyncTransport, Endpoint, RetryPolicy

__all__ = [
    "AsyncDesktopClient",
    "AsyncTransport",
    "DesktopDisplayInfo",
    "DesktopHealth",
    "DesktopPointerPosition",
    "DesktopProcessErrors",
    "DesktopProcessLogs",
    "DesktopProcessRestart",
    "DesktopProcessStatus",
    "DesktopProcessStatusList",
    "DesktopRecordingStatus",
    "DesktopRecordingSummary",
    "DesktopTarget",
    "DesktopWindow",
    "DownloadProgress",
    "DownloadState",
    "Endpoint",
    "FeedState",
    "FeedUpdate",
    "Leap0APIError",
    "Leap0AuthError",
    "Leap0ConflictError",
    "Leap0ConnectionError",
    "Leap0DownloadError",
    "Leap0Error",
    "Leap0NotFoundError",
    "Leap0RateLimitError",
    "Leap0ResponseError",
    "Leap0ServerError",
    "Leap0StreamError",
    "Leap0TimeoutError",
    "Leap0ValidationError",
    "RetryPolicy",
    "SandboxRef",
    "StatusFeed",
    "progress_line",
]

_MODULES = (
    "core.errors",
    "core.models",
    "core.transport",
    "core.references",
    "core.desktop",
    "core.downloads",
    "core.status_feed",
)
"""The modules the names of ``__all__`` come from, cheapest first."""


def __getattr__(name: str) -> object:
    """Import ``name`` from its module the first time it is asked for."""
    if name in __all__:
        for module_name in _MODULES:
            module = importlib.import_module(module_name)
            if hasattr(module, name):
                value = getattr(module, name)
                globals()[name] = value
                return value
    raise AttributeError(f"module 'core' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
