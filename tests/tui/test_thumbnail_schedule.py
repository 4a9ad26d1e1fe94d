"""The grid's fetch schedule, on a clock the test moves."""

from __future__ import annotations

import pytest

from tui.thumbnail_schedule import INTERVALS, ThumbnailSchedule, step_interval


def test_only_tiles_on_screen_a_few_at_a_time_in_screen_order() -> None:
    schedule = ThumbnailSchedule(3.0, concurrency=3)
    schedule.set_visible(["a", "b", "c", "d", "e"])
    assert schedule.due(0.0) == ["a", "b", "c"]
    assert schedule.due(0.0) == []  # no free slot
    assert schedule.wait(0.0) is None  # nothing before a fetch ends
    schedule.done("b", ok=True)
    assert schedule.wait(0.1) == 0.0
    assert schedule.due(0.1) == ["d"]
    schedule.done("a", ok=True)
    assert schedule.due(0.2) == ["e"]


def test_each_tile_every_interval_from_the_start_of_its_fetch() -> None:
    schedule = ThumbnailSchedule(3.0, concurrency=3)
    schedule.set_visible(["a", "b"])
    assert schedule.due(10.0) == ["a", "b"]
    schedule.done("a", ok=True)
    schedule.done("b", ok=True)
    assert schedule.wait(10.5) == pytest.approx(2.5)
    assert schedule.due(12.9) == []
    assert schedule.due(13.0) == ["a", "b"]
    schedule.done("a", ok=True)
    schedule.done("b", ok=True)
    schedule.interval = 10.0  # "-": applies at once
    assert schedule.due(16.0) == []
    assert schedule.wait(16.0) == pytest.approx(7.0)


def test_a_tile_leaving_the_screen_is_not_fetched_and_its_fetch_is_named() -> None:
    schedule = ThumbnailSchedule(3.0, concurrency=2)
    schedule.set_visible(["a", "b", "c"])
    assert schedule.due(0.0) == ["a", "b"]
    assert schedule.set_visible(["c", "d"]) == ["a", "b"]  # cancel those
    schedule.done("a", ok=True)  # ignored: it left
    assert schedule.busy == frozenset()
    assert schedule.due(0.0) == ["c", "d"]
    schedule.done("c", ok=True)
    schedule.done("d", ok=True)
    assert schedule.due(100.0) == ["c", "d"]
    assert "a" not in schedule.visible
    # Back on screen: fetched at once, not on its old schedule.
    schedule.done("c", ok=True)
    schedule.done("d", ok=True)
    schedule.set_visible(["a", "c", "d"])
    assert schedule.due(100.5) == ["a"]


def test_failures_back_off_and_one_success_ends_it() -> None:
    schedule = ThumbnailSchedule(2.0, concurrency=1, max_backoff=10.0)
    schedule.set_visible(["a"])
    waits = []
    now = 0.0
    for _ in range(5):
        assert schedule.due(now) == ["a"]
        schedule.done("a", ok=False)
        wait = schedule.wait(now)
        assert wait is not None
        waits.append(wait)
        now += wait
    assert waits == [4.0, 8.0, 10.0, 10.0, 10.0]
    assert schedule.due(now) == ["a"]
    schedule.done("a", ok=True)
    assert schedule.wait(now) == 2.0


def test_again_fetches_at_once() -> None:
    schedule = ThumbnailSchedule(30.0)
    schedule.set_visible(["a", "b"])
    schedule.due(0.0)
    schedule.done("a", ok=False)
    schedule.done("b", ok=True)
    schedule.again("a")
    assert schedule.due(1.0) == ["a"]


def test_the_intervals_plus_and_minus_step_through() -> None:
    assert step_interval(3.0, faster=True) == 2.0
    assert step_interval(3.0, faster=False) == 5.0
    assert step_interval(INTERVALS[0], faster=True) == INTERVALS[0]
    assert step_interval(INTERVALS[-1], faster=False) == INTERVALS[-1]
    assert step_interval(4.0, faster=True) == 3.0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        ThumbnailSchedule(0.0)
    with pytest.raises(ValueError):
        ThumbnailSchedule(3.0, concurrency=0)
