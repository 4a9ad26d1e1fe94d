"""Wire models of the Leap0 desktop API, shared by the client and the local host.

Response models ignore fields they do not know, so a newer server does not break an
older client. Request models carry the spec's limits (``leap0-desktop.openapi.yaml``):
the client validates with them before anything is sent, and the host validates what it
receives with the very same classes, so each limit is written once.

Each model's validator is built the first time the model is used, not on import
(``defer_build``): a command uses one or two of the thirty, and building them all was
most of the module's import. No ``from __future__ import annotations`` here: pydantic
would compile and evaluate each of the hundred annotations from a string as each class
is made (1 % of a command's start-up).
"""

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "PROCESS_NAMES",
    "ClickPointerRequest",
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
    "DesktopWindow",
    "DragPointerRequest",
    "ErrorResponse",
    "FieldError",
    "HostReady",
    "HotkeyRequest",
    "ImageFormat",
    "MovePointerRequest",
    "OkResponse",
    "OverallStatus",
    "PressKeyRequest",
    "ProcessName",
    "ProcessNameParam",
    "RecordingsResponse",
    "RegionScreenshotRequest",
    "ResizeScreenRequest",
    "ScreenshotQuery",
    "ScrollPointerRequest",
    "TypeTextRequest",
    "ValidationErrorResponse",
    "ViewerTicket",
    "WindowsResponse",
    "field_errors",
]

ProcessName = Literal["xvfb", "xfce4", "x11vnc", "novnc"]
PROCESS_NAMES: tuple[ProcessName, ...] = ("xvfb", "xfce4", "x11vnc", "novnc")
OverallStatus = Literal["running", "degraded", "stopped"]
ImageFormat = Literal["png", "jpg", "jpeg"]
ScrollDirection = Literal["up", "down", "left", "right"]

MAX_TEXT_LENGTH = 50_000
"""Longest text ``/api/input/type`` accepts, in characters."""

Coordinate = Annotated[int, Field(ge=0, strict=True)]
Button = Annotated[int, Field(ge=1, le=3, strict=True)]


class _Response(BaseModel):
    """A model read from the wire: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class _Request(BaseModel):
    """A model sent over the wire: strict types, unknown fields ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, defer_build=True)


# ── Responses ──────────────────────────────────────────────────────────────────


class DesktopHealth(_Response):
    """``GET /api/healthz``: whether the desktop's control server is up."""

    ok: bool


class OkResponse(_Response):
    ok: bool


class DesktopDisplayInfo(_Response):
    """The X11 display and its size in pixels (``/api/display``, ``/api/display/screen``)."""

    display: str
    width: int
    height: int


class DesktopWindow(_Response):
    """One top-level window. ``class`` is ``window_class`` in Python."""

    id: str | None = None
    desktop: int | None = None
    pid: int | None = None
    x: int | None = None
    y: int | None = None
    width: int | None = None
    height: int | None = None
    window_class: str | None = Field(default=None, alias="class")
    host: str | None = None
    title: str | None = None
    focused: bool | None = None


class WindowsResponse(_Response):
    items: list[DesktopWindow]


class DesktopPointerPosition(_Response):
    x: int
    y: int


class DesktopRecordingStatus(_Response):
    """The current or most recent recording (``/api/recording``)."""

    id: str | None = None
    active: bool = False
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    download: str | None = None
    mime_type: str | None = None
    file_name: str | None = None
    display: str | None = None
    resolution: str | None = None


class DesktopRecordingSummary(_Response):
    """A saved recording; ``size_bytes`` is the file's size when listed."""

    id: str
    file_name: str | None = None
    download: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None
    created_at: datetime | None = None
    active: bool = False


class RecordingsResponse(_Response):
    items: list[DesktopRecordingSummary]


class DesktopProcessStatus(_Response):
    """One managed process; the log paths are on the desktop's machine."""

    name: str
    running: bool
    pid: int | None = None
    stdout_log: str
    stderr_log: str


class DesktopProcessStatusList(_Response):
    """All managed processes and the overall status derived from them."""

    status: OverallStatus
    items: list[DesktopProcessStatus]
    running: int
    total: int


class DesktopProcessRestart(_Response):
    message: str | None = None
    status: DesktopProcessStatus | None = None


class DesktopProcessLogs(_Response):
    process: str | None = None
    logs: str = ""


class DesktopProcessErrors(_Response):
    process: str | None = None
    errors: str = ""


class FieldError(_Response):
    field: str
    error: str


class ErrorResponse(_Response):
    message: str


class ValidationErrorResponse(_Response):
    message: str
    errors: list[FieldError] = []


# ── Requests ───────────────────────────────────────────────────────────────────


class ResizeScreenRequest(_Request):
    width: Annotated[int, Field(ge=320, le=7680)]
    height: Annotated[int, Field(ge=320, le=4320)]


class ScreenshotQuery(BaseModel):
    """Query of ``GET /api/screenshot``. Lax types: the host reads these from a query string.

    ``width`` and ``height`` are both 0 (the full screen, also when both are left out) or
    both positive.
    """

    model_config = ConfigDict(extra="ignore", defer_build=True)

    format: ImageFormat = "png"
    quality: Annotated[int, Field(ge=1, le=100)] | None = None
    x: Annotated[int, Field(ge=0)] | None = None
    y: Annotated[int, Field(ge=0)] | None = None
    width: Annotated[int, Field(ge=0)] | None = None
    height: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _size_together(self) -> Self:
        w, h = self.width or 0, self.height or 0
        if (w == 0) != (h == 0):
            field = "height" if w else "width"
            raise ValueError(f"{field}: width and height must both be 0 or both be positive")
        return self


class RegionScreenshotRequest(_Request):
    x: Coordinate
    y: Coordinate
    width: Annotated[int, Field(ge=1, strict=True)]
    height: Annotated[int, Field(ge=1, strict=True)]
    format: ImageFormat | None = None
    quality: Annotated[int, Field(ge=1, le=100)] | None = None


class MovePointerRequest(_Request):
    x: Coordinate
    y: Coordinate


class ClickPointerRequest(_Request):
    """A click at the current position, or at ``x``, ``y`` (given together)."""

    x: Coordinate | None = None
    y: Coordinate | None = None
    button: Button = 1

    @model_validator(mode="after")
    def _xy_together(self) -> Self:
        if (self.x is None) != (self.y is None):
            field = "y" if self.y is None else "x"
            raise ValueError(f"{field}: x and y must be given together")
        return self


class DragPointerRequest(_Request):
    from_x: Coordinate
    from_y: Coordinate
    to_x: Coordinate
    to_y: Coordinate
    button: Button = 1


class ScrollPointerRequest(_Request):
    direction: ScrollDirection
    amount: Annotated[int, Field(ge=1, le=100)] = 1


class TypeTextRequest(_Request):
    text: Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]


class PressKeyRequest(_Request):
    key: Annotated[str, Field(min_length=1, max_length=64)]


class HotkeyRequest(_Request):
    keys: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]],
        Field(min_length=1, max_length=10),
    ]


class ProcessNameParam(_Request):
    """A path parameter naming a managed process."""

    process_name: ProcessName


# ── The local host's ready line ──────────────────────────────────────────────


class HostReady(_Response):
    """The one JSON line ``leap0-tui host`` prints to stdout once its desktop is ready.

    Not part of Leap0's spec: the contract between the local host and whoever started it
    (the dashboard, scripts). Unknown fields are ignored, so a newer host can add some.
    """

    url: str
    """Where the desktop API listens, e.g. ``http://127.0.0.1:8123``."""
    token: str | None = None
    pid: int | None = None
    display: str | None = None
    xauthority: str | None = None
    """The X cookie file every X client of this display needs."""
    width: int | None = None
    height: int | None = None
    status: OverallStatus | None = None
    run_dir: str | None = None
    recordings_dir: str | None = None
    host_id: str | None = None


class ViewerTicket(_Response):
    """The answer of the local host's ``POST /viewer/ticket`` (not part of Leap0's spec).

    A browser opens ``path`` (on the desktop's base URL) once, within ``expires_in``
    seconds; the host exchanges the ticket for a cookie of the viewer alone, so the API
    token never reaches a browser.
    """

    ticket: str
    path: str
    expires_in: int


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Turn a pydantic error into the API's ``[{"field", "error"}]`` list.

    Cross-field checks above raise ``"field: message"``; their field is taken from that
    prefix, since pydantic reports model-level errors without a location.
    """
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not loc and ": " in msg:
            loc, msg = msg.split(": ", 1)
        out.append(FieldError(field=loc or "body", error=msg))
    return out
