"""Counts the frames the preview shows (benchmarks only).

Put this folder on ``PYTHONPATH`` and name a file in ``FRAME_PROBE_OUT``: each frame the
desktop screen's preview shows (``ScreenPreview.show_frame``) writes the count so far
there. What a terminal shows is not what the app drew: a grab half-way through a frame
drawn in bands is a picture of its own (``benchmarks/real_terminals.py``).
"""

from __future__ import annotations

import os

_OUT = os.environ.get("FRAME_PROBE_OUT")

if _OUT:
    from tui.widgets.screen_preview import ScreenPreview

    _fd = os.open(_OUT, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    _show = ScreenPreview.show_frame
    _count = [0]

    def _counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _count[0] += 1
        os.pwrite(_fd, b"%12d\n" % _count[0], 0)
        return _show(self, *args, **kwargs)

    ScreenPreview.show_frame = _counted  # type: ignore[method-assign]
