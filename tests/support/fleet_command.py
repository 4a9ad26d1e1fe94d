"""``leap0-tui`` against the fake account: the real command line, with the sandboxes' desktops
found under the fake control plane.

    python -m tests.support.fleet_command CLOUD_URL [leap0-tui arguments]

Runs :func:`tui.cli.run` as the console script does (arguments, terminal probe, settings
loaded after the first frame), with ``LEAP0_API_KEY`` and ``LEAP0_BASE_URL`` from the
environment; the only difference is where a listed sandbox's desktop answers: the fake
cloud's ``/desktops/{id}`` (a real one's ``https://{id}.{sandbox_domain}`` needs DNS).
"""

from __future__ import annotations

import sys
from functools import partial

from core.references import DesktopTarget
from core.sandboxes import SandboxSummary
from tests.support.fake_control_plane import DESKTOP_TOKEN
from tui import cli


def main() -> int:
    cloud_url, *argv = sys.argv[1:]

    checked = DesktopTarget(f"{cloud_url}/desktops/x", DESKTOP_TOKEN)  # the URL, checked once

    def where(sandbox: SandboxSummary) -> DesktopTarget:
        # Not checked again for each sandbox: parsing the URL (28 us) took 140 ms of a
        # listing of 5,000, a cost the real command's targets (sandbox ids) do not have.
        target = object.__new__(DesktopTarget)
        object.__setattr__(target, "url", f"{checked.url[:-2]}/{sandbox.id}")
        object.__setattr__(target, "token", DESKTOP_TOKEN)
        object.__setattr__(target, "name", sandbox.id)
        return target

    cli.Leap0App = partial(cli.Leap0App, sandbox_ref=where)  # type: ignore[misc]
    return cli.run(argv)


if __name__ == "__main__":
    sys.exit(main())
