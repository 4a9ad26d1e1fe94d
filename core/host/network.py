"""Addresses and ports: binding, picking free ports, URLs, and waiting for a port to answer."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = [
    "binds_loopback",
    "connect_address",
    "free_port",
    "is_loopback",
    "listen",
    "port_ready",
    "url_host",
    "viewer_host",
]


def _passive_address(
    bind: str, port: int
) -> tuple[socket.AddressFamily, socket.SocketKind, int, Any]:
    """Family, type, protocol and socket address to bind ``bind``:``port`` with."""
    family, kind, proto, _, address = socket.getaddrinfo(
        bind, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return family, kind, proto, address


def free_port(bind: str = "127.0.0.1") -> int:
    """A TCP port free on ``bind`` right now."""
    family, kind, proto, address = _passive_address(bind, 0)
    with socket.socket(family, kind, proto) as sock:
        sock.bind(address)
        port: int = sock.getsockname()[1]
        return port


def listen(bind: str, port: int) -> socket.socket:
    """A non-blocking TCP socket listening on ``bind``:``port`` (0: a free port).

    Raises ``OSError`` when the address cannot be bound.
    """
    family, kind, proto, address = _passive_address(bind, port)
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def is_loopback(sock: socket.socket) -> bool:
    """Whether ``sock`` is bound to a loopback address (reachable from this machine only)."""
    try:
        return ipaddress.ip_address(sock.getsockname()[0]).is_loopback
    except ValueError:
        return False


def binds_loopback(bind: str) -> bool:
    """Whether :func:`listen` on ``bind`` binds a loopback address (reachable from this
    machine only); false for an address that does not resolve (listening will fail)."""
    try:
        address = _passive_address(bind, 0)[3][0]
        return ipaddress.ip_address(address).is_loopback
    except (OSError, ValueError):
        return False


def connect_address(bind: str) -> str:
    """The address to reach a server listening on ``bind`` from this machine."""
    try:
        ip = ipaddress.ip_address(bind)
    except ValueError:
        return bind  # a host name
    if ip.is_unspecified:
        return "127.0.0.1" if ip.version == 4 else "::1"
    return str(ip)


def url_host(host: str) -> str:
    """``host`` as it stands in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def viewer_host(bind: str, via: str | None) -> str:
    """Where a browser finds a server listening on ``bind``, having reached the API by ``via``:
    the bound address itself, or, bound to every address, the one the browser used."""
    try:
        everywhere = ipaddress.ip_address(bind).is_unspecified
    except ValueError:
        everywhere = False  # bound to a host name: the browser can use it too
    return (via or connect_address(bind)) if everywhere else connect_address(bind)


def port_ready(
    port: int, banner: bytes | None = None, host: str = "127.0.0.1"
) -> Callable[[], Awaitable[bool]]:
    """A check that ``host``:``port`` accepts a connection (and first sends ``banner``)."""

    async def check() -> bool:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
        except (OSError, TimeoutError):
            return False
        try:
            if banner is None:
                return True
            data = await asyncio.wait_for(reader.read(len(banner)), 2.0)
            return data == banner
        except (OSError, TimeoutError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    return check
