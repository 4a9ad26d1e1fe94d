"""Leap0's desktop spec, fuzzed against the real local host with schemathesis.

Every operation of ``leap0-desktop.openapi.yaml`` but the status stream (it never ends)
and the resize (each one restarts the whole stack) is tested in schemathesis's phases:
the spec's examples, coverage (each boundary: a required body left out, a null where the
type is not nullable, a value just out of range, a path parameter with control
characters ...) and fuzzing, a bounded number of generated requests each, valid and
invalid ones. They go to a host of this module's own (restarts and random clicks must not
disturb the session's host). Every answer must pass schemathesis's checks: no server error,
a status code the spec documents, a body of the documented schema, valid data accepted and
invalid data refused.

Every request carries the token: without it the host answers 401, which the spec (one
global security scheme) documents on no operation; test_api_contract covers that.

Valid data the spec cannot describe is fitted first (:func:`_fit`): coordinates land on the
screen (the spec has no maximum, the screen does), a corner comes with a size and x with y
(said in prose), a key is a real keysym ("X11 keysym name", in prose) and a text is short
(typing takes about 2.6 ms a character).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from tests.host.harness import REPO, HostProcess, start_host, stop_host  # noqa: E402

SPEC = REPO.parent / "shared" / "spec" / "leap0-desktop.openapi.yaml"
if not SPEC.is_file():
    pytest.skip(f"no spec at {SPEC}", allow_module_level=True)

KEYSYMS = ("Return", "Escape", "Tab", "shift", "ctrl", "a", "F5", "Left", "space")

SCREEN = (1440, 900)

schema = (
    schemathesis.openapi.from_path(str(SPEC))
    .exclude(path="/api/status/stream")  # a stream that never ends
    .exclude(method="POST", path="/api/display/screen")  # each resize restarts the stack
)
schema.config.generation.update(with_security_parameters=False, max_examples=10)


@pytest.fixture(scope="module")
def fuzzed_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    base = tmp_path_factory.mktemp("fuzzed-host")
    host = start_host(base / "run", recordings_dir=base / "recordings")
    try:
        assert (host.ready.width, host.ready.height) == SCREEN
        yield host
    finally:
        if host.process.poll() is None:
            stop_host(host)


def _fit(case: Any) -> None:
    """A valid case the spec cannot describe fully, made valid for this desktop."""
    width, height = SCREEN
    body = case.body if isinstance(case.body, dict) else None
    path = case.operation.path
    if body is not None:
        for key, value in body.items():
            if isinstance(value, float):  # 1191.0 is a JSON Schema integer
                body[key] = int(value)
        if path == "/api/input/click" and ("x" in body) != ("y" in body):
            body.pop("x", None)  # "y: must be provided with x", and x with y
            body.pop("y", None)
        for key in ("x", "from_x", "to_x"):
            if isinstance(body.get(key), int):
                body[key] %= width
        for key in ("y", "from_y", "to_y"):
            if isinstance(body.get(key), int):
                body[key] %= height
        if path == "/api/screenshot/region":
            body["width"] = 1 + (body["width"] - 1) % (width - body["x"])
            body["height"] = 1 + (body["height"] - 1) % (height - body["y"])
        if path == "/api/input/press":
            body["key"] = KEYSYMS[len(body["key"]) % len(KEYSYMS)]
        if path == "/api/input/hotkey":
            body["keys"] = [KEYSYMS[len(k) % len(KEYSYMS)] for k in body["keys"]]
        if path == "/api/input/type":
            body["text"] = body["text"][:40]
    query = case.query
    if path == "/api/screenshot" and isinstance(query, dict):
        # "Set width and height together; 0 for both is the full screen": a corner
        # (x, y) without a size is refused, as is a size that leaves the screen.
        x, y = query.get("x"), query.get("y")
        w, h = query.get("width"), query.get("height")
        if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
            x = query["x"] = (x or 0) % width
            y = query["y"] = (y or 0) % height
            query["width"] = 1 + (w - 1) % (width - x)
            query["height"] = 1 + (h - 1) % (height - y)
        else:
            for key in ("x", "y", "width", "height"):
                query.pop(key, None)


@schema.parametrize()
@settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_the_host_answers_as_the_spec_says(case: Any, fuzzed_host: HostProcess) -> None:
    meta = case.meta
    if meta is not None and meta.generation.mode.is_positive:
        _fit(case)
    headers = {"Authorization": f"Bearer {fuzzed_host.token}"}
    case.call_and_validate(base_url=fuzzed_host.url, headers=headers, timeout=60)
