"""What the fleet screen shows of its desktops: which rows (filter, trouble only), in which
order (the sort), and the header's counts. No widgets: plain functions of the targets and
the fleet's reports, so the order can be tested and timed without a screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from core.fleet_health import DesktopReport, Health
from core.fleet_targets import FleetTarget

__all__ = ["SORTS", "FleetView", "Sort", "counts_line", "next_sort"]

type Sort = Literal["health", "newest", "id", "state"]

SORTS: tuple[Sort, ...] = ("health", "newest", "id", "state")
"""The orders ``s`` cycles through, the default first."""

_NEWEST = float("inf")
"""The creation time of a desktop that is not a sandbox (local, profile): newer than any."""

_UNKNOWN = DesktopReport("")


def next_sort(sort: Sort) -> Sort:
    return SORTS[(SORTS.index(sort) + 1) % len(SORTS)]


def _created(target: FleetTarget) -> float:
    return target.sandbox.created_at.timestamp() if target.sandbox is not None else _NEWEST


@dataclass(frozen=True, slots=True)
class FleetView:
    """One way of looking at the fleet: a sort, a filter text, trouble only or not."""

    sort: Sort = "health"
    text: str = ""
    trouble_only: bool = False

    def matches(self, target: FleetTarget, report: DesktopReport) -> bool:
        """Whether the row passes the filter: the text found (case-insensitive) in the id,
        the name, the template, the control-plane state or the health."""
        if self.trouble_only and not report.trouble:
            return False
        text = self.text.strip().lower()
        if not text:
            return True
        fields = [target.key, target.label, report.health.value]
        if target.sandbox is not None:
            fields += [target.sandbox.template_id, target.sandbox.state]
        return any(text in field.lower() for field in fields)

    def sort_key(self, target: FleetTarget, report: DesktopReport) -> tuple[object, ...]:
        """Worst health first then newest (``health``); newest first; by id; by state."""
        severity = report.health.severity
        newest = -_created(target)
        if self.sort == "health":
            return (severity, newest, target.key)
        if self.sort == "newest":
            return (newest, target.key)
        if self.sort == "id":
            return (target.label, target.key)
        return (target.control_state or "", severity, newest, target.key)

    def rows(
        self, targets: Mapping[str, FleetTarget], reports: Mapping[str, DesktopReport]
    ) -> list[str]:
        """The keys to show, in order."""
        shown = [
            (self.sort_key(target, report), key)
            for key, target in targets.items()
            if self.matches(target, report := reports.get(key, _UNKNOWN))
        ]
        shown.sort()
        return [key for _, key in shown]

    def describe(self) -> str:
        """What the view hides by, for the header: ``filter "xf" · trouble only``."""
        parts = []
        if self.text.strip():
            parts.append(f'filter "{self.text.strip()}"')
        if self.trouble_only:
            parts.append("trouble only")
        return " · ".join(parts)


def counts_line(
    targets: Mapping[str, FleetTarget], reports: Mapping[str, DesktopReport], shown: int
) -> str:
    """``"50 sandboxes · 2 degraded · 1 unreachable"``, and what the view hides."""
    total = len(targets)
    kinds = {t.source for t in targets.values()}
    noun = "sandbox" if kinds <= {"sandbox"} else "desktop"
    plural = noun + ("es" if noun == "sandbox" else "s") if total != 1 else noun
    health: Counter[Health] = Counter(reports[k].health for k in targets if k in reports)
    parts = [f"{total} {plural}"]
    for kind in (Health.DEGRADED, Health.UNHEALTHY, Health.UNREACHABLE):
        if health[kind]:
            parts.append(f"{health[kind]} {kind.value}")
    if shown < total:
        parts.append(f"{total - shown} hidden")
    return " · ".join(parts)
