"""SettledHeap: frozen after each full collection, thawed on time and on request."""

from __future__ import annotations

import gc

from tui.heap import SettledHeap

FEW = 1000
"""Some Pythons keep a few hundred objects frozen of their own (pyenv's 3.12.1: 375)."""


def test_the_heap_is_frozen_at_start_after_a_full_collection_and_thawed_on_time() -> None:
    now = [0.0]
    heap = SettledHeap(thaw_every=300.0, clock=lambda: now[0])
    heap.start()
    try:
        started = gc.get_freeze_count()
        assert started > FEW  # what the start-up made: frozen at once
        kept = [[] for _ in range(FEW)]  # survivors made since
        # Frozen objects freed by their reference count leave the count meanwhile (other
        # threads run): it never grows but by a freeze.
        gc.collect(1)
        assert gc.get_freeze_count() <= started  # a young collection freezes nothing
        garbage: list[object] = []
        garbage.append(garbage)  # a cycle, garbage once dropped
        del garbage
        before = gc.get_freeze_count()
        assert gc.collect() >= 1  # the cycle went in the full collection, before the freeze
        assert gc.get_freeze_count() >= before + FEW // 2  # the survivors joined the frozen part
        del kept
        now[0] = 299.0
        heap.tick(unseen=True)
        assert gc.get_freeze_count() > FEW
        now[0] = 300.0
        heap.tick()  # due, but the user may be watching: no pause now
        assert gc.get_freeze_count() > FEW
        heap.tick(unseen=True)
        assert gc.get_freeze_count() <= FEW
        gc.collect()
        assert gc.get_freeze_count() > FEW  # frozen again after the next full one
    finally:
        heap.stop()
    assert gc.get_freeze_count() <= FEW
    assert heap._collected not in gc.callbacks
    gc.collect()
    assert gc.get_freeze_count() <= FEW  # stopped: no more freezing


def test_freeze_and_thaw_on_request() -> None:
    heap = SettledHeap()
    heap.freeze()
    assert gc.get_freeze_count() > FEW
    heap.thaw()
    assert gc.get_freeze_count() <= FEW


def test_freezing_again_does_not_put_the_thaw_off() -> None:
    now = [0.0]
    heap = SettledHeap(thaw_every=300.0, clock=lambda: now[0])
    heap.start()
    try:
        for now[0] in (100.0, 200.0, 299.0):  # a listing taken in every 100 s
            heap.freeze()
            heap.tick(unseen=True)
            assert gc.get_freeze_count() > FEW
        now[0] = 300.0
        heap.tick(unseen=True)
        assert gc.get_freeze_count() <= FEW  # due 300 s after the first freeze
    finally:
        heap.stop()


def test_a_watched_heap_is_thawed_at_most_every_half_hour() -> None:
    now = [0.0]
    heap = SettledHeap(thaw_every=300.0, thaw_at_most=1800.0, clock=lambda: now[0])
    heap.start()
    try:
        now[0] = 1799.0
        heap.tick()  # the terminal has had the focus all along
        assert gc.get_freeze_count() > FEW
        now[0] = 1800.0
        heap.tick()
        assert gc.get_freeze_count() <= FEW
    finally:
        heap.stop()
