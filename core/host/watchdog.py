"""The host's watchdog: cleans up after the host when it dies, even by SIGKILL.

:class:`Watchdog` is the host's side (start it, stop it); :func:`main` the watchdog itself:

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
import contextlib
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from core.host.processes import HOST_ID_ENV, PROCESS_ENV, signal_child, spawn
from core.host.runfolder import RunRecord, clean_up

__all__ = ["Watchdog", "main"]

log = logging.getLogger("core.host.watchdog")

_IMPORT_ROOT = str(Path(__file__).resolve().parents[2])
"""Where ``core`` is imported from: the watchdog (``python -m``) imports it from there too."""


@dataclass(slots=True)
class Watchdog:
    """The host's side of its watchdog: the process, and the pipe whose end it waits for."""

    proc: asyncio.subprocess.Process | None
    pipe: int
    """The write end of the watchdog's stdin: closed when the host goes, any way."""

    @classmethod
    async def start(cls, record: RunRecord) -> Watchdog:
        """Write ``record`` and start the watchdog that cleans up after the host's death
        (without one, a warning: a host killed with SIGKILL may leave processes)."""
        read_end, write_end = os.pipe()
        env = {k: v for k, v in os.environ.items() if k not in (HOST_ID_ENV, PROCESS_ENV)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (_IMPORT_ROOT, env.get("PYTHONPATH"))))
        proc: asyncio.subprocess.Process | None = None
        try:
            record.write()
            proc = await spawn(
                [sys.executable, "-m", "core.host.watchdog", str(record.path)],
                die_with_host=False,
                stdin=read_end,
                stdout=asyncio.subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
            record.watchdog = proc.pid
            record.write()
        except OSError as exc:
            log.warning("no watchdog (%s): a host killed with SIGKILL may leave processes", exc)
        finally:
            os.close(read_end)
        return cls(proc, write_end)

    async def stop(self) -> None:
        """Close its pipe (after a clean stop the record is gone: it finds nothing to do)
        and wait for it."""
        with contextlib.suppress(OSError):
            os.close(self.pipe)
        if self.proc is not None:
            try:
                await asyncio.wait_for(self.proc.wait(), 5.0)
            except TimeoutError:
                signal_child(self.proc, signal.SIGKILL)
                await self.proc.wait()


# ── the watchdog process ──


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
