"""A TCP proxy on loopback that cuts connections on demand, as a flaky network does.

Each connection it accepts takes the next entry of :attr:`CuttingProxy.cuts`, if any: after
that many bytes from the server to the client, both sides are closed, with a reset
(``SO_LINGER`` 0, as a dropped route or a killed proxy looks) or a plain close. With
:attr:`CuttingProxy.down` set, it accepts and closes at once, as a desktop that is away.
Blocking sockets in threads: the test's event loop never waits on it.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Cut:
    """Cut a connection after ``after`` bytes towards the client; ``reset`` sends an RST."""

    after: int
    reset: bool = False


class CuttingProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream`` (``http://host:port``)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname and parts.port
        self.upstream = (parts.hostname, parts.port)
        self.cuts: deque[Cut] = deque()
        self.down = False
        self.connections = 0
        self.cut_done = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        self._spawn(self._accept)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _close(sock)
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                cut = self.cuts.popleft() if self.cuts and not self.down else None
                down = self.down
            if down:
                _close(client, reset=True)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client, reset=True)
                continue
            client.settimeout(None)
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            self._spawn(self._pump, client, server, None)
            self._spawn(self._pump, server, client, cut)

    def _pump(self, source: socket.socket, sink: socket.socket, cut: Cut | None) -> None:
        """Copy ``source`` to ``sink`` until either ends, or ``cut`` says to cut both."""
        sent = 0
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                if cut is not None and sent + len(data) >= cut.after:
                    sink.sendall(data[: cut.after - sent])
                    with self._lock:
                        self.cut_done += 1
                    _close(sink, reset=cut.reset)
                    _close(source, reset=cut.reset)
                    return
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def _close(sock: socket.socket, *, reset: bool = False) -> None:
    """Close ``sock``, waking a thread blocked reading it; with an RST if ``reset``."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RD if reset else socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


@contextmanager
def cutting_proxy(upstream: str) -> Iterator[CuttingProxy]:
    """A :class:`CuttingProxy` to ``upstream`` while the block runs."""
    proxy = CuttingProxy(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
