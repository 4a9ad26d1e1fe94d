"""What one desktop's health is, as the fleet reports it: derived from its status, or from why
there is none.

No I/O and no state beyond one desktop's last report: :class:`core.fleet.Fleet` feeds these
functions what its streams and polls bring, and hands the consumer :class:`DesktopReport`.

How health is derived (``ProcessStatusResponse`` in ``leap0-desktop.openapi.yaml``: an
overall ``status`` of ``running`` / ``degraded`` / ``stopped`` and the four processes):

* ``running``: the desktop says ``running`` (all its processes up);
* ``degraded``: it says ``degraded`` (some process down) and Xvfb is up;
* ``unhealthy``: it says ``stopped`` (nothing runs), or Xvfb is down (nothing can draw);
* ``unreachable``: no status can be had, or the last one is too old; ``reason`` says why;
* ``unknown``: not followed (a paused or stopped sandbox), or no answer yet.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

import httpx

from core.errors import (
    Leap0APIError,
    Leap0AuthError,
    Leap0ConnectionError,
    Leap0Error,
    Leap0NotFoundError,
    Leap0ResponseError,
    Leap0StreamError,
    Leap0TimeoutError,
)
from core.models import PROCESS_NAMES, DesktopProcessStatusList, ProcessName
from core.transport import connect_reason

__all__ = [
    "TROUBLE",
    "DesktopReport",
    "Health",
    "Pids",
    "count_restarts",
    "health_of",
    "is_client_side",
    "pids_of",
    "reason_for",
]


class Health(enum.StrEnum):
    """A desktop's overall health (values double as CSS classes)."""

    RUNNING = "running"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"

    @property
    def severity(self) -> int:
        """Worst first when sorted by it: unreachable 0, unhealthy 1, degraded 2, unknown 3,
        running 4 (the fleet screen's default order)."""
        return _SEVERITY[self]


_SEVERITY = {
    Health.UNREACHABLE: 0,
    Health.UNHEALTHY: 1,
    Health.DEGRADED: 2,
    Health.UNKNOWN: 3,
    Health.RUNNING: 4,
}

TROUBLE = frozenset({Health.UNREACHABLE, Health.UNHEALTHY, Health.DEGRADED})
"""The healths that put a desktop among "those with trouble"."""


@dataclass(frozen=True, slots=True)
class DesktopReport:
    """What the fleet knows of one desktop, replaced as a whole on every change.

    ``processes`` maps each of the four processes (``xvfb xfce4 x11vnc novnc``) to whether it
    runs, ``None`` when unknown (no status yet, or the desktop did not list it).
    ``restarts`` counts the restarts the fleet has seen since it began following the desktop
    (a process down then up again, or its pid changed); the API reports none of its own.
    ``recording`` is whether a recording is active, ``None`` until known.
    ``received_at`` is when the last status arrived, on the fleet's clock
    (``time.monotonic()`` unless injected); ``None`` before the first. ``reason`` is one
    short line whenever ``health`` is not ``running`` (``"401 wrong token"``, ``"connection
    refused"``, ``"no event for 6 s"``, ``"xfce4 down"``). ``via`` is how the status
    comes: ``"stream"`` (SSE), ``"poll"`` (``GET /api/status``) or ``None`` (not followed).
    """

    key: str
    health: Health = Health.UNKNOWN
    processes: tuple[tuple[ProcessName, bool | None], ...] = tuple(
        (name, None) for name in PROCESS_NAMES
    )
    restarts: int = 0
    recording: bool | None = None
    received_at: float | None = None
    reason: str | None = "no status yet"
    via: str | None = None

    def running(self, name: ProcessName) -> bool | None:
        """Whether process ``name`` runs (``None``: unknown)."""
        return dict(self.processes).get(name)

    @property
    def trouble(self) -> bool:
        return self.health in TROUBLE

    def with_status(
        self, status: DesktopProcessStatusList, at: float, via: str, restarts: int = 0
    ) -> DesktopReport:
        """This report updated by a fresh ``status`` received at ``at``, with ``restarts``
        more restarts seen (:func:`count_restarts`)."""
        health, reason = health_of(status)
        return replace(
            self,
            health=health,
            processes=_processes(status),
            restarts=self.restarts + restarts,
            received_at=at,
            reason=reason,
            via=via,
        )

    def without_status(self, health: Health, reason: str, via: str | None) -> DesktopReport:
        """This report when no (fresh) status can be had: the processes stay as last seen."""
        return replace(self, health=health, reason=reason, via=via)


def _processes(status: DesktopProcessStatusList) -> tuple[tuple[ProcessName, bool | None], ...]:
    running = {item.name: item.running for item in status.items}
    return tuple((name, running.get(name)) for name in PROCESS_NAMES)


def health_of(status: DesktopProcessStatusList) -> tuple[Health, str | None]:
    """The health a status says, and the reason when it is not ``running``."""
    down = [item.name for item in status.items if not item.running]
    if status.status == "running" and not down:
        return Health.RUNNING, None
    if status.status == "stopped" or (status.total and status.running == 0):
        return Health.UNHEALTHY, "all processes stopped"
    text = f"{', '.join(down)} down" if down else f"status {status.status}"
    if "xvfb" in down:
        return Health.UNHEALTHY, text
    return Health.DEGRADED, text


type Pids = dict[str, int | None]
"""Each process's pid when it runs (0 when the desktop did not say), ``None`` when down."""


def pids_of(status: DesktopProcessStatusList) -> Pids:
    return {item.name: (item.pid or 0) if item.running else None for item in status.items}


def count_restarts(before: Pids | None, after: Pids) -> int:
    """Restarts between two statuses of one desktop: a process down before and up now, or
    up in both with another pid. ``before`` is ``None`` for the first status."""
    if before is None:
        return 0
    restarts = 0
    for name, pid in after.items():
        if pid is None or name not in before:
            continue
        old = before[name]
        if old is None or (old and pid and old != pid):
            restarts += 1
    return restarts


def is_client_side(error: BaseException) -> bool:
    """Whether ``error`` is this client's limit, not the desktop's fault: waiting for a free
    connection of the client's own pool."""
    return isinstance(error, Leap0TimeoutError) and isinstance(error.__cause__, httpx.PoolTimeout)


def reason_for(
    error: Leap0Error | None, *, silent_for: float | None = None, timeout: float | None = None
) -> str:
    """One short line saying why a desktop has no fresh status.

    ``"401 wrong token"``, ``"403 token not allowed"``, ``"connection refused"``,
    ``"no answer in 5 s"`` (a call's ``timeout``), ``"no event for 6 s"`` (a stream quiet
    for ``silent_for``), ``"404 no such desktop"``, ``"502 Bad Gateway"``...
    """
    if silent_for is not None and error is None:
        return f"no event for {silent_for:g} s"
    if error is None:
        return "the stream ended"
    if isinstance(error, Leap0AuthError):
        if error.status_code == 403:
            return "403 token not allowed"
        return f"{error.status_code} wrong token"
    if isinstance(error, Leap0NotFoundError):
        return "404 no such desktop"
    if isinstance(error, Leap0APIError):
        said = f": {error.server_message}" if error.server_message else ""
        return _short(f"{error.status_code}{said}")
    if isinstance(error, Leap0ConnectionError):
        reason = connect_reason(error)
        if reason:
            return reason
        return "connection broke" if "broke" in str(error) else "cannot connect"
    if isinstance(error, Leap0TimeoutError):
        message = str(error)
        if "no event for" in message:
            return _short("no event for " + message.split("no event for ", 1)[1].split(" (")[0])
        return f"no answer in {timeout:g} s" if timeout is not None else "no answer in time"
    if isinstance(error, Leap0StreamError):
        return _short("stream error: " + str(error).split(": ", 1)[-1])
    if isinstance(error, Leap0ResponseError):
        return "not a desktop's answer"
    return _short(str(error))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
