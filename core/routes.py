"""The desktop API's routes, written once: the client, the local host and the tests' fake
desktops all build their paths from this table.

A route is a method and a path template whose ``{parameters}`` are filled in by
:meth:`ApiRoute.path`, each value percent-encoded as one path segment (so ``/``, ``?``,
``#``, ``%`` or a value of ``..`` can never change the path; ``:`` and ``+`` are sent as
they are, as the official SDK sends them). The host turns a template into a
server pattern with :meth:`ApiRoute.pattern`.

Paths follow ``leap0-desktop.openapi.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

__all__ = ["ApiRoute", "Routes", "ViewerRoutes"]

Method = Literal["GET", "POST", "DELETE"]

_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class ApiRoute:
    """One endpoint of the desktop API."""

    method: Method
    template: str
    """The spec's path, e.g. ``/api/process/{process_name}/status``."""

    @property
    def parameters(self) -> tuple[str, ...]:
        """The template's parameter names, in order."""
        return tuple(_PARAMETER.findall(self.template))

    def path(self, **values: str) -> str:
        """The path with each parameter filled in, percent-encoded as one segment.

        Raises :class:`KeyError` for a parameter not given, :class:`TypeError` for one
        the template does not have.
        """
        extra = set(values) - set(self.parameters)
        if extra:
            raise TypeError(f"{self.template} has no parameter {sorted(extra)[0]!r}")
        return _PARAMETER.sub(lambda m: _segment(values[m.group(1)]), self.template)

    def pattern(self, convertor: str | None = None) -> str:
        """The template as a server route pattern, each parameter given ``convertor``
        (Starlette's ``{name:path}``) when one is named."""
        if convertor is None:
            return self.template
        return _PARAMETER.sub(lambda m: "{" + m.group(1) + ":" + convertor + "}", self.template)


_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}


def _segment(value: str) -> str:
    """``value`` as exactly one path segment.

    Everything but unreserved characters, ``:`` and ``+`` is percent-encoded (both are
    allowed in a segment, RFC 3986 ``pchar``, and the official SDK sends them as they are),
    so ``/``, ``?``, ``#`` and ``%`` cannot change the path. ``.`` and ``..`` alone, which
    clients and servers resolve as "this" and "the parent" segment, are sent encoded: a
    value can never step out of its route.
    """
    return _DOT_SEGMENTS.get(value) or quote(value, safe=":+")


class Routes:
    """Every route of the desktop API, by what it does: ``Routes.CLICK.path()``,
    ``Routes.PROCESS_LOGS.path(process_name="xfce4")``."""

    HEALTH = ApiRoute("GET", "/api/healthz")
    DISPLAY = ApiRoute("GET", "/api/display")
    SCREEN = ApiRoute("GET", "/api/display/screen")
    RESIZE_SCREEN = ApiRoute("POST", "/api/display/screen")
    WINDOWS = ApiRoute("GET", "/api/display/windows")
    SCREENSHOT = ApiRoute("GET", "/api/screenshot")
    SCREENSHOT_REGION = ApiRoute("POST", "/api/screenshot/region")
    POINTER = ApiRoute("GET", "/api/input/position")
    MOVE = ApiRoute("POST", "/api/input/move")
    CLICK = ApiRoute("POST", "/api/input/click")
    DRAG = ApiRoute("POST", "/api/input/drag")
    SCROLL = ApiRoute("POST", "/api/input/scroll")
    TYPE = ApiRoute("POST", "/api/input/type")
    PRESS = ApiRoute("POST", "/api/input/press")
    HOTKEY = ApiRoute("POST", "/api/input/hotkey")
    RECORDING_STATUS = ApiRoute("GET", "/api/recording")
    RECORDING_START = ApiRoute("POST", "/api/recording/start")
    RECORDING_STOP = ApiRoute("POST", "/api/recording/stop")
    RECORDINGS = ApiRoute("GET", "/api/recordings")
    RECORDING = ApiRoute("GET", "/api/recordings/{recording_id}")
    DELETE_RECORDING = ApiRoute("DELETE", "/api/recordings/{recording_id}")
    DOWNLOAD_RECORDING = ApiRoute("GET", "/api/recordings/{recording_id}/download")
    STATUS = ApiRoute("GET", "/api/status")
    STATUS_STREAM = ApiRoute("GET", "/api/status/stream")
    PROCESS_STATUS = ApiRoute("GET", "/api/process/{process_name}/status")
    RESTART_PROCESS = ApiRoute("POST", "/api/process/{process_name}/restart")
    PROCESS_LOGS = ApiRoute("GET", "/api/process/{process_name}/logs")
    PROCESS_ERRORS = ApiRoute("GET", "/api/process/{process_name}/errors")

    @classmethod
    def all(cls) -> tuple[ApiRoute, ...]:
        """Every route once, in the order above."""
        return tuple(v for v in vars(cls).values() if isinstance(v, ApiRoute))


class ViewerRoutes:
    """The local host's viewer routes (not in Leap0's spec): a dashboard asks for a ticket
    with its token; the browser opens the path the answer names."""

    TICKET = ApiRoute("POST", "/viewer/ticket")
