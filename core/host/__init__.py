"""The local desktop host: Leap0's desktop API over a real Xvfb + xfce4 + x11vnc + noVNC stack.

Modules, bottom up: :mod:`~core.host.errors` (failures with their HTTP status),
:mod:`~core.host.network` (addresses, ports), :mod:`~core.host.xauth` (the display's
cookie), :mod:`~core.host.processes` (spawning, process groups, reaping),
:mod:`~core.host.stack` (what each of the four processes is), :mod:`~core.host.supervisor`
(running them), :mod:`~core.host.screen` (mss capture, Pillow encoding),
:mod:`~core.host.input` (xdotool), :mod:`~core.host.windows` (wmctrl),
:mod:`~core.host.recorder` (ffmpeg), :mod:`~core.host.host` (all of it as one
:class:`DesktopHost`), :mod:`~core.host.app` (the HTTP routes),
:mod:`~core.host.guard` (the HTTP server's connections under a flood),
:mod:`~core.host.runfolder` (the run folder's record, cleaning up after dead hosts),
:mod:`~core.host.watchdog` (the process that does it when the host dies) and
``__main__`` (the CLI).
"""
