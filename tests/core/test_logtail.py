"""The end of a log file: whole lines, notes left out, nothing raised."""

from __future__ import annotations

from pathlib import Path

from core.logtail import last_lines, read_tail


def test_a_short_file_is_read_whole(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"one\ntwo\n")
    assert read_tail(log, 100) == "one\ntwo\n"


def test_a_long_file_starts_at_a_whole_line(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"first line\nsecond\nthird\n")
    assert read_tail(log, 12) == "third\n"


def test_last_lines_skips_blank_lines_and_notes(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("a\n--- note\n\nb\n  c  \n=== start\n")
    assert last_lines(log, 2, skip=("---", "===")) == ["b", "c"]
    assert last_lines(log, 5, skip=("---", "===")) == ["a", "b", "c"]


def test_an_unreadable_file_has_no_tail(tmp_path: Path) -> None:
    assert read_tail(tmp_path / "missing.log", 10) == ""
    assert last_lines(tmp_path / "missing.log", 3) == []
