"""When a followed desktop's change is worth an alert: it left ``running`` for trouble, or a
process stopped.

No I/O: the fleet screen compares each desktop's previous :class:`DesktopReport` with the new
one and hands the alerts it gets to whatever delivers them (a toast, the bell, a desktop
notification; ``alerts`` in the config file says which).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.fleet_health import TROUBLE, DesktopReport, Health

__all__ = ["Alert", "alerts_between"]


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing that went wrong on one desktop, at ``at`` (seconds since the epoch)."""

    key: str
    label: str
    what: str
    at: float

    @property
    def line(self) -> str:
        """``"sbx-12: xfce4 stopped"``."""
        return f"{self.label}: {self.what}"


def alerts_between(
    label: str, old: DesktopReport | None, new: DesktopReport, at: float
) -> list[Alert]:
    """The alerts a desktop's change from ``old`` to ``new`` calls for.

    A process that stops (was running, now is not) is one alert naming it; a desktop
    whose health goes from ``running`` to trouble is one alert naming its health and
    reason, unless a stopped process already said it. A first report (``old`` ``None``)
    or a desktop that was never running (unknown, already in trouble) raises none: only a
    change seen while following it does.
    """
    if old is None:
        return []
    alerts = [
        Alert(new.key, label, f"{name} stopped", at)
        for (name, was), (_, now) in zip(old.processes, new.processes, strict=True)
        if was is True and now is False
    ]
    if old.health is Health.RUNNING and new.health in TROUBLE and not alerts:
        why = f" ({new.reason})" if new.reason else ""
        alerts.append(Alert(new.key, label, f"{new.health.value}{why}", at))
    return alerts
