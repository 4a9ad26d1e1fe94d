"""CpuPace: the interval that keeps a repeated job within a share of one core."""

from __future__ import annotations

from tui.cpu_pace import CpuPace


class Clock:
    """A process CPU clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_interval_is_the_cost_over_the_share() -> None:
    cpu = Clock()
    pace = CpuPace(smoothing=1.0, cpu=cpu)
    assert pace.interval(0.5) == 0.0  # nothing measured: no limit
    pace.done()
    assert pace.interval(0.5) == 0.0  # one job ended: its cost is not known yet
    cpu.now += 0.030
    pace.done()
    assert abs(pace.interval(0.5) - 0.060) < 1e-9
    assert abs(pace.interval(1.0) - 0.030) < 1e-9


def test_the_cost_is_smoothed_and_a_pause_is_not_counted() -> None:
    cpu = Clock()
    pace = CpuPace(smoothing=0.5, cpu=cpu)
    pace.done()
    for _ in range(20):
        cpu.now += 0.010
        pace.done()
    cpu.now += 0.050  # one dear frame moves the average half way, not all the way
    pace.done()
    assert pace.cost is not None and abs(pace.cost - 0.030) < 1e-9
    pace.pause()
    cpu.now += 5.0  # what the process did while no job ran
    pace.done()
    assert abs(pace.cost - 0.030) < 1e-9
    cpu.now += 0.010
    pace.done()
    assert abs(pace.cost - 0.020) < 1e-9
