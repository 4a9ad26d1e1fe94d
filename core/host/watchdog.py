"""The host's watchdog: cleans up after the host when it dies, even by SIGKILL.

::

    python -m core.host.watchdog RECORD_PATH      (stdin: a pipe whose writer is the host)

The host starts it first, in a session of its own (a Ctrl-C at the terminal does not reach
it) and without the host's tag (it must not stop itself), holding the only write end of
its stdin. When that pipe reaches its end, the host has gone: the watchdog stops every
process carrying the host's tag (the managed processes get SIGTERM from the kernel
already, through ``PR_SET_PDEATHSIG``; what they started does not), frees their shared
memory, removes the secrets, the record and the host-made run folder
(:func:`core.host.runfolder.clean_up`), and exits. After a clean stop the host has done
all that itself and the watchdog finds nothing to do.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from core.host.runfolder import RunRecord, clean_up

log = logging.getLogger("core.host.watchdog")


def _wait_for_eof() -> None:
    while True:
        try:
            if not os.read(0, 4096):
                return
        except InterruptedError:
            continue
        except OSError:
            return


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m core.host.watchdog RECORD_PATH", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_IGN)
    _wait_for_eof()
    record = RunRecord.read(Path(args[0]))
    if record is None:
        return 0  # a clean stop: the host removed it
    stopped = asyncio.run(clean_up(record))
    log.warning(
        "host %s (pid %s) is gone: stopped %d leftover process(es), removed %s",
        record.host_id,
        record.pid,
        stopped,
        record.run_dir if record.owns_run_dir else "its secrets",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
