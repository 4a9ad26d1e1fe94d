"""Which changes of a followed desktop are alerts."""

from __future__ import annotations

from dataclasses import replace

from core.fleet_alerts import alerts_between
from core.fleet_health import DesktopReport, Health

UP = DesktopReport(
    "sbx-1",
    Health.RUNNING,
    (("xvfb", True), ("xfce4", True), ("x11vnc", True), ("novnc", True)),
    reason=None,
)


def down(report: DesktopReport, *names: str) -> DesktopReport:
    processes = tuple((n, False if n in names else up) for n, up in report.processes)
    return replace(report, health=Health.DEGRADED, processes=processes, reason="x down")


def test_a_process_stopping_names_it_and_only_it() -> None:
    alerts = alerts_between("sbx-1", UP, down(UP, "xfce4"), 100.0)
    assert [(a.line, a.at) for a in alerts] == [("sbx-1: xfce4 stopped", 100.0)]
    both = alerts_between("sbx-1", down(UP, "xfce4"), down(UP, "xfce4", "novnc"), 1.0)
    assert [a.line for a in both] == ["sbx-1: novnc stopped"]


def test_running_to_unreachable_says_why() -> None:
    gone = UP.without_status(Health.UNREACHABLE, "connection refused", None)
    assert [a.line for a in alerts_between("lab", UP, gone, 1.0)] == [
        "lab: unreachable (connection refused)"
    ]


def test_no_alert_for_a_first_report_recovery_or_trouble_that_stays() -> None:
    assert alerts_between("sbx-1", None, down(UP, "xfce4"), 1.0) == []
    assert alerts_between("sbx-1", down(UP, "xfce4"), UP, 1.0) == []
    unknown = DesktopReport("sbx-1")
    gone = unknown.without_status(Health.UNREACHABLE, "404 no such desktop", "poll")
    assert alerts_between("sbx-1", unknown, gone, 1.0) == []
