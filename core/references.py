"""What names a desktop, and the checks its references and request arguments pass before sending.

A desktop is named by a :data:`SandboxRef`:

* a Leap0 sandbox id (``"sbx-abc123"``) or any object with an ``id`` attribute (a control-plane
  sandbox): ``https://{id}.{sandbox_domain}``, with the transport's API key;
* a self-hosted desktop's URL (``"http://127.0.0.1:8765"``), with the transport's API key;
* a :class:`DesktopTarget`, which carries its own URL and token, so one client can serve
  several local hosts at once.

Nothing here does I/O: every refusal is a :class:`~core.errors.Leap0ValidationError` naming
the field, raised before any request is built.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ValidationError

from core.errors import Leap0ValidationError, validation_error
from core.models import FieldError, ProcessNameParam
from core.transport import Endpoint

__all__ = [
    "MAX_RECORDING_ID_LENGTH",
    "DesktopTarget",
    "HasSandboxId",
    "SandboxRef",
    "checked_process_name",
    "checked_recording_id",
    "checked_sandbox_id",
    "is_self_hosted",
    "resolve",
    "validated",
]

MAX_RECORDING_ID_LENGTH = 256

# What a cloud sandbox id may contain: it becomes the first label(s) of a host name, so
# anything that could end or redirect the authority ('/', '?', '#', '@', ':') is refused.
_SANDBOX_ID = re.compile(r"[A-Za-z0-9_.-]+")


class HasSandboxId(Protocol):
    """Anything with a sandbox ``id``, such as a control-plane sandbox."""

    @property
    def id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class DesktopTarget:
    """A desktop at ``url`` (``http://`` or ``https://``), with a token of its own.

    ``token=None`` falls back to the transport's API key, as a plain URL does; ``token=""``
    sends no ``Authorization`` header at all. ``name`` labels the desktop in error messages
    (default: the URL). Raises :class:`Leap0ValidationError` for a URL that is not an absolute
    http(s) URL without query or fragment.
    """

    url: str
    token: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", _desktop_base_url(self.url, "url"))


type SandboxRef = str | HasSandboxId | DesktopTarget
"""A sandbox id, an object with ``.id``, a desktop URL, or a :class:`DesktopTarget`."""


def is_self_hosted(sandbox: SandboxRef) -> bool:
    """Whether ``sandbox`` names a desktop by URL (a string or a :class:`DesktopTarget`)."""
    return isinstance(sandbox, DesktopTarget) or (isinstance(sandbox, str) and _is_url(sandbox))


def resolve(sandbox: SandboxRef, *, api_key: str | None, sandbox_domain: str) -> Endpoint:
    """The base URL, token and label of the desktop ``sandbox`` names.

    Raises :class:`Leap0ValidationError` (field ``sandbox``) for an empty or malformed
    sandbox id (``/``, ``..``, whitespace, anything outside letters, digits, ``-``, ``_``,
    ``.``) or a malformed URL.
    """
    if isinstance(sandbox, DesktopTarget):
        return Endpoint(sandbox.url, sandbox.token, sandbox.name or sandbox.url)
    if isinstance(sandbox, str) and _is_url(sandbox):
        base = _desktop_base_url(sandbox, "sandbox")
        return Endpoint(base, api_key, base)
    sandbox_id = checked_sandbox_id(
        sandbox if isinstance(sandbox, str) else getattr(sandbox, "id", None)
    )
    return Endpoint(f"https://{sandbox_id}.{sandbox_domain}", api_key, sandbox_id)


def checked_sandbox_id(sandbox_id: object) -> str:
    """``sandbox_id`` if it can name a cloud sandbox's host, else :class:`Leap0ValidationError`."""
    what = "sandbox reference"
    if not isinstance(sandbox_id, str):
        raise _refused(
            "sandbox", "expected a sandbox id, a desktop URL, or an object with an id", what
        )
    if not sandbox_id:
        raise _refused("sandbox", "the sandbox id is empty", what)
    if ".." in sandbox_id or not _SANDBOX_ID.fullmatch(sandbox_id):
        raise _refused(
            "sandbox",
            f"{sandbox_id!r} is not a sandbox id (letters, digits, '-', '_' and '.' only, "
            "no '..'); a self-hosted desktop is named by its http(s):// URL",
            what,
        )
    return sandbox_id


def checked_recording_id(recording_id: str) -> str:
    """``recording_id`` if it can be sent as one path segment, else
    :class:`Leap0ValidationError` (field ``recording_id``)."""
    problem = None
    if not isinstance(recording_id, str) or not recording_id:
        problem = "must be a non-empty string"
    elif recording_id in (".", ".."):
        problem = f"{recording_id!r} is not a recording id"
    elif "/" in recording_id or "\\" in recording_id:
        problem = "must not contain '/' or '\\'"
    elif any(unicodedata.category(ch) == "Cc" for ch in recording_id):
        problem = "must not contain control characters"
    elif len(recording_id) > MAX_RECORDING_ID_LENGTH:
        problem = f"longer than {MAX_RECORDING_ID_LENGTH} characters"
    if problem:
        raise _refused("recording_id", problem, "recording id")
    return recording_id


def checked_process_name(process_name: str, endpoint: Endpoint, what: str) -> str:
    """``process_name`` if it is one of the four managed processes, else
    :class:`Leap0ValidationError` (field ``process_name``) naming ``what`` and the desktop."""
    param = validated(ProcessNameParam, {"process_name": process_name}, endpoint, what)
    name: str = param["process_name"]
    return name


def validated(
    model: type[BaseModel], fields: Mapping[str, object], endpoint: Endpoint, what: str
) -> dict[str, Any]:
    """``fields`` checked by ``model``, as JSON-ready data holding only the ones given.

    ``None`` means "not given", so the server's defaults apply. Raises
    :class:`Leap0ValidationError` naming every refused field.
    """
    given = {name: value for name, value in fields.items() if value is not None}
    try:
        checked = model.model_validate(given)
    except ValidationError as exc:
        label = endpoint.label
        raise validation_error(
            exc, f"{what} refused before sending to {label}", desktop=label
        ) from exc
    return checked.model_dump(mode="json", exclude_unset=True)


def _is_url(ref: str) -> bool:
    return ref[:8].lower().startswith(("http://", "https://"))


def _refused(field: str, error: str, what: str) -> Leap0ValidationError:
    return Leap0ValidationError(
        f"{what} refused: {field}: {error}", errors=[FieldError(field=field, error=error)]
    )


def _desktop_base_url(url: str, field: str) -> str:
    """``url`` without its trailing ``/``, if it is an absolute http(s) URL a desktop can be at."""
    what = "desktop URL"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise _refused(field, f"{url!r} is not a URL ({exc})", what) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _refused(field, f"{url!r} is not an http:// or https:// URL with a host", what)
    if parsed.query or parsed.fragment:
        raise _refused(field, f"{url!r} must not carry a query or fragment", what)
    return str(parsed).rstrip("/")
