"""leap0-tui's core: the async desktop client, its wire models and errors, and the local host.

Nothing here imports Textual; the dashboard (``tui``) builds on this package.
"""

from core.desktop import AsyncDesktopClient, DesktopTarget, SandboxRef
from core.downloads import DownloadProgress
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
]
