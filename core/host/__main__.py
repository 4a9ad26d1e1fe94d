"""``leap0-tui host`` / ``python -m core.host``: run the local desktop host in the foreground.

::

    leap0-tui host [--port P] [--token-file PATH] [--size 1440x900] [--bind ADDR] [--run-dir DIR]

Starts the display stack, serves the desktop API, and when ready prints exactly one line
to stdout, a JSON object (:class:`core.models.HostReady`)::

    {"url": "http://127.0.0.1:PORT", "token": "...", "pid": ..., "display": ":N",
     "xauthority": "RUN_DIR/Xauthority",
     "width": 1440, "height": 900, "status": "running", "run_dir": "...",
     "recordings_dir": "...", "host_id": "..."}

Everything else goes to stderr. ``--port 0`` (the default) picks a free port.

A client that opens connections and sends no request cannot choke the host
(:mod:`core.host.guard`): a connection has 5 s to send a request head, at most half the
file descriptors (4,096 at most) are connections, and at that cap a new one closes the
oldest one still waiting for its request, never one in a request (an SSE stream). The
soft limit of open files is raised to the hard one at start.

Nothing is left behind: the managed processes get SIGTERM from the kernel when the host
dies (``PR_SET_PDEATHSIG``), a watchdog (:mod:`core.host.watchdog`) stops what they
started and removes the run folder's secrets when the host dies, and each host at start
cleans up after hosts that are gone (:mod:`core.host.runfolder`). A clean stop removes a
run folder the host made itself; one given with ``--run-dir`` is kept with its logs, less
the VNC password, the X cookie and the record. The token comes from ``--token-file``,
else ``LEAP0_HOST_TOKEN``, else ``--token`` (warned: any local user can read a command
line), else it is random (:mod:`core.host.auth_token`); an unreadable token file, and a
given token shorter than 16 characters with ``--bind`` beyond loopback, are refused with
status 2. SIGINT or SIGTERM stops the
recording, every process the host started and then the host itself; so does the end of
stdin when stdin is a pipe (the parent that holds it has gone), unless
``--no-stdin-watch``. Exit status 0 after a clean stop, 2 for bad arguments, 1 when the
server cannot start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import uvicorn
from pydantic import ValidationError

from core.host.app import create_app
from core.host.auth_token import TOKEN_ENV, HostTokenError, check_strength, choose_token
from core.host.guard import (
    ConnectionGuard,
    RateLimitedExceptionHandler,
    default_max_connections,
    guarded_h11,
    raise_fd_limit,
)
from core.host.host import DesktopHost, HostConfig
from core.host.network import binds_loopback, connect_address, is_loopback, listen, url_host
from core.host.processes import (
    become_subreaper,
    proc_table,
    reaper,
    start_ticks,
)
from core.host.recorder import default_recordings_dir
from core.host.recordings_dir import RecordingsDirError, claim_recordings_dir
from core.host.runfolder import TEMP_PREFIX, RunRecord, clean_dead_hosts
from core.host.watchdog import Watchdog
from core.models import HostReady, ResizeScreenRequest, field_errors

__all__ = ["main"]

log = logging.getLogger("core.host")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the host stops the desktop first."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


def _size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` within the spec's limits (argparse type)."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise argparse.ArgumentTypeError(f"{text}: expected WIDTHxHEIGHT, e.g. 1440x900")
    try:
        request = ResizeScreenRequest(width=int(width), height=int(height))
    except ValidationError as exc:
        detail = "; ".join(f"{e.field} {e.error}" for e in field_errors(exc))
        raise argparse.ArgumentTypeError(f"{text}: {detail}") from None
    return request.width, request.height


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leap0-tui host",
        description="Serve the Leap0 desktop API over a local Xvfb + xfce4 + x11vnc + noVNC stack.",
        epilog=(
            f"The token clients must send: --token-file PATH, else ${TOKEN_ENV}, else "
            "--token T (every user of this machine can read it: ps), else a random one, "
            "said in the ready line on stdout."
        ),
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default 0: a free one)")
    parser.add_argument(
        "--bind",
        default="127.0.0.1",
        help="address the API and the noVNC viewer listen on (default 127.0.0.1)",
    )
    token = parser.add_mutually_exclusive_group()
    token.add_argument(
        "--token-file",
        metavar="PATH",
        type=Path,
        help="read the bearer token clients must send from the first line of this file "
        "(keep it chmod 600)",
    )
    token.add_argument(
        "--token",
        metavar="T",
        help=f"bearer token on the command line; visible to other users (ps): prefer "
        f"--token-file or ${TOKEN_ENV}",
    )
    parser.add_argument(
        "--size", type=_size, default=(1440, 900), help="screen size WIDTHxHEIGHT (1440x900)"
    )
    parser.add_argument(
        "--run-dir", type=Path, default=None, help="directory for logs (default: a new temp dir)"
    )
    parser.add_argument(
        "--no-stdin-watch",
        action="store_true",
        help="keep running when stdin is a pipe that reaches its end",
    )
    parser.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    return parser


def _stdin_is_pipe() -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(0).st_mode)
    except OSError:
        return False


def _watch_stdin(stop: asyncio.Event) -> None:
    """Set ``stop`` when stdin (a pipe from the parent) reaches its end."""
    loop = asyncio.get_running_loop()
    fd = 0
    os.set_blocking(fd, False)

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            log.info("stdin closed: the parent has gone, stopping")
            stop.set()

    loop.add_reader(fd, readable)


async def _serve(args: argparse.Namespace, out: IO[str]) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals: list[int] = []

    def on_signal(signum: int) -> None:
        if stop.is_set():
            log.warning("still stopping the desktop; please wait")
        else:
            log.info("%s received, stopping", signal.Signals(signum).name)
        signals.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, on_signal, signum)
    loop.add_signal_handler(signal.SIGCHLD, reaper.schedule)
    if not become_subreaper():
        log.warning("cannot become a child subreaper: orphaned descendants may outlive the host")
    if not args.no_stdin_watch and _stdin_is_pipe():
        _watch_stdin(stop)

    with contextlib.suppress(Exception):
        await clean_dead_hosts()
    try:
        sock = listen(args.bind, args.port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", args.bind, args.port, exc)
        return 1
    run_dir: Path = args.run_dir
    token = args.host_token.token
    width, height = args.size
    try:
        # Held until the process ends: the kernel lets it go however the host dies.
        base, configured = default_recordings_dir()
        recordings = claim_recordings_dir(base, configured=configured)
    except RecordingsDirError as exc:
        log.error("%s", exc)
        return 1
    host = DesktopHost(
        HostConfig(
            token=token,
            run_dir=run_dir,
            recordings_dir=recordings.path,
            width=width,
            height=height,
            bind=args.bind,
        )
    )
    record = RunRecord(
        pid=os.getpid(),
        start_ticks=start_ticks(os.getpid()) or 0,
        host_id=host.host_id,
        run_dir=str(run_dir),
        owns_run_dir=args.owns_run_dir,
        started_at=time.time(),
    )
    watchdog = await Watchdog.start(record)
    recording = loop.create_task(_keep_record(host, record))
    loop.set_exception_handler(RateLimitedExceptionHandler())
    guard = ConnectionGuard(default_max_connections(raise_fd_limit()))
    config = uvicorn.Config(
        create_app(host),
        http=guarded_h11(guard),
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=3,
        # The viewer's WebSocket (core/host/viewer.py); the API has none.
        ws="websockets-sansio",
    )
    server = _Server(config)
    serving = loop.create_task(server.serve(sockets=[sock]))
    try:
        starting = loop.create_task(host.start())
        stopped = loop.create_task(stop.wait())
        await asyncio.wait({starting, stopped, serving}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done() and not stop.is_set() and not serving.done():
            while not server.started and not serving.done():  # noqa: ASYNC110 (no event to wait on)
                await asyncio.sleep(0.01)
        if not stop.is_set() and server.started and not serving.done():
            address, port = sock.getsockname()[:2]
            ready = HostReady(
                url=f"http://{url_host(connect_address(address))}:{port}",
                token=token,
                pid=os.getpid(),
                display=host.last_display,
                xauthority=str(host.xauthority),
                width=width,
                height=height,
                status=host.status().status,
                run_dir=str(run_dir),
                recordings_dir=str(host.recordings_dir),
                host_id=host.host_id,
            )
            with contextlib.suppress(OSError):
                # Every field (a display of null when Xvfb did not start), ASCII only:
                # json.dumps escapes what a non-UTF-8 stdout could not encode.
                out.write(json.dumps(ready.model_dump(mode="json")) + "\n")
                out.flush()
            if not is_loopback(sock):
                log.warning(
                    "listening on %s, beyond loopback: anyone who can reach it and has the "
                    "token controls this desktop",
                    args.bind,
                )
            log.info("serving %s (desktop %s, %s)", ready.url, ready.display, ready.status)
            await asyncio.wait({stopped, serving}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        stopped.cancel()
    finally:
        host.begin_close()
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(serving), 5.0)
        if not serving.done():
            server.force_exit = True
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(serving, 2.0)
        try:
            await host.stop()
        except Exception:
            log.exception("stopping the desktop failed")
        recording.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await recording
        record.forget()
        await watchdog.stop()
        await _reap_all()
        log.info("stopped")
    if serving.done() and not serving.cancelled() and serving.exception() is not None:
        log.error("the HTTP server failed: %s", serving.exception())
        return 1
    return 0


async def _keep_record(host: DesktopHost, record: RunRecord) -> None:
    """Keep the record's pids of the managed processes up to date."""
    with host.subscribe() as subscription:
        while True:
            children = {i.name: i.pid for i in host.status().items if i.pid is not None}
            if children != record.children:
                record.children = children
                try:
                    record.write()
                except OSError as exc:
                    log.warning("cannot write %s: %s", record.path, exc)
            await subscription.wait(30.0)


async def _reap_all(within: float = 3.0) -> None:
    """Collect every adopted child before exiting (nothing left for init to reap)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        reaper.reap()
        me = os.getpid()
        if not any(e.ppid == me for e in proc_table()):
            return
        await asyncio.sleep(0.05)


def _refuse(message: str) -> int:
    """Say why the command line is refused, in one line; the exit status (2)."""
    print(f"leap0-tui host: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run the host until stopped; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        args.host_token = choose_token(args.token_file, args.token, os.environ)
        check_strength(args.host_token, args.bind, loopback=binds_loopback(args.bind))
    except HostTokenError as exc:
        return _refuse(str(exc))
    for warning in args.host_token.warnings:
        log.warning("%s", warning)
    try:
        args.owns_run_dir = args.run_dir is None
        args.run_dir = (args.run_dir or Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))).absolute()
        args.run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.error("cannot create the run directory: %s", exc)
        return 1
    # Only the ready line goes to stdout; a stray print from anything else goes to stderr.
    out = sys.stdout
    sys.stdout = sys.stderr
    try:
        return asyncio.run(_serve(args, out))
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout = out


if __name__ == "__main__":
    sys.exit(main())
