"""Sizes, durations and dates as the dashboard and the command line show them: short, and
``"?"`` when unknown."""

from __future__ import annotations

from datetime import datetime

__all__ = ["format_bytes", "format_created", "format_duration"]


def format_bytes(count: float | None) -> str:
    """``count`` bytes as a short human size (binary units): ``"12.3 MiB"``."""
    if count is None:
        return "?"
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover


def format_duration(seconds: float | None) -> str:
    """``seconds`` as ``"4 s"``, ``"2:05"`` or ``"1:02:05"``; ``"?"`` when unknown."""
    if seconds is None or seconds < 0 or seconds != seconds:
        return "?"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def format_created(when: datetime | None) -> str:
    """Local month, day and time, ``"11-28 10:15"``: a sandbox's recordings are recent."""
    if when is None:
        return "?"
    return when.astimezone().strftime("%m-%d %H:%M")
