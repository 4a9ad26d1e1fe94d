"""Authentication, validation and error shapes of every route, with raw HTTP requests.

Raw ``httpx`` requests bypass the client's own validation, so what is checked here is the
host's: every refused value answers 400 naming the field, a missing or wrong token 401,
unknown routes and methods answer JSON, and no input makes a route answer 500.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.host.harness import HostProcess

ROUTES: list[tuple[str, str]] = [
    ("GET", "/api/healthz"),
    ("GET", "/api/display"),
    ("GET", "/api/display/screen"),
    ("POST", "/api/display/screen"),
    ("GET", "/api/display/windows"),
    ("GET", "/api/screenshot"),
    ("POST", "/api/screenshot/region"),
    ("GET", "/api/input/position"),
    ("POST", "/api/input/move"),
    ("POST", "/api/input/click"),
    ("POST", "/api/input/drag"),
    ("POST", "/api/input/scroll"),
    ("POST", "/api/input/type"),
    ("POST", "/api/input/press"),
    ("POST", "/api/input/hotkey"),
    ("GET", "/api/recording"),
    ("POST", "/api/recording/start"),
    ("POST", "/api/recording/stop"),
    ("GET", "/api/recordings"),
    ("GET", "/api/recordings/rec_1"),
    ("DELETE", "/api/recordings/rec_1"),
    ("GET", "/api/recordings/rec_1/download"),
    ("GET", "/api/status"),
    ("GET", "/api/status/stream"),
    ("GET", "/api/process/xvfb/status"),
    ("POST", "/api/process/xvfb/restart"),
    ("GET", "/api/process/xvfb/logs"),
    ("GET", "/api/process/xvfb/errors"),
    ("POST", "/viewer/ticket"),
]


@pytest_asyncio.fixture
async def http(local_host: HostProcess) -> AsyncIterator[httpx.AsyncClient]:
    """A raw client with the right token."""
    headers = {"Authorization": f"Bearer {local_host.token}"}
    async with httpx.AsyncClient(base_url=local_host.url, headers=headers, timeout=30) as client:
        yield client


@pytest_asyncio.fixture
async def anonymous(local_host: HostProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=local_host.url, timeout=30) as client:
        yield client


# ── authentication ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["no-token", "wrong-token", "other-scheme"],
)
async def test_every_route_needs_the_token(
    anonymous: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = await anonymous.request(method, path, headers=headers)
    assert response.status_code == 401
    assert response.json()["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_unknown_routes_and_methods_answer_json(http: httpx.AsyncClient) -> None:
    missing = await http.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["message"]
    wrong_method = await http.delete("/api/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["message"]


# ── validation ─────────────────────────────────────────────────────────────────

TOO_LONG = "x" * 50_001

# (method, path, JSON body or query params, the field the 400 must name)
INVALID: list[tuple[str, str, Any, str]] = [
    ("POST", "/api/display/screen", {"width": 319, "height": 600}, "width"),
    ("POST", "/api/display/screen", {"width": 7681, "height": 600}, "width"),
    ("POST", "/api/display/screen", {"width": 800, "height": 319}, "height"),
    ("POST", "/api/display/screen", {"width": 800, "height": 4321}, "height"),
    ("POST", "/api/display/screen", {"width": 800}, "height"),
    ("POST", "/api/display/screen", {"width": "800", "height": 600}, "width"),
    ("POST", "/api/display/screen", {"width": 800.5, "height": 600}, "width"),
    ("GET", "/api/screenshot", {"format": "gif"}, "format"),
    ("GET", "/api/screenshot", {"quality": "0", "format": "jpeg"}, "quality"),
    ("GET", "/api/screenshot", {"quality": "101", "format": "jpeg"}, "quality"),
    ("GET", "/api/screenshot", {"quality": "high"}, "quality"),
    ("GET", "/api/screenshot", {"x": "-1", "width": "10", "height": "10"}, "x"),
    ("GET", "/api/screenshot", {"y": "-1", "width": "10", "height": "10"}, "y"),
    ("GET", "/api/screenshot", {"width": "-5", "height": "10"}, "width"),
    ("GET", "/api/screenshot", {"width": "10"}, "height"),
    ("GET", "/api/screenshot", {"height": "10"}, "width"),
    ("GET", "/api/screenshot", {"x": "1440", "y": "0", "width": "1", "height": "1"}, "x"),
    ("GET", "/api/screenshot", {"x": "0", "y": "900", "width": "1", "height": "1"}, "y"),
    ("GET", "/api/screenshot", {"x": "1400", "y": "0", "width": "41", "height": "1"}, "width"),
    ("GET", "/api/screenshot", {"x": "0", "y": "800", "width": "1", "height": "101"}, "height"),
    ("POST", "/api/screenshot/region", {"y": 0, "width": 10, "height": 10}, "x"),
    ("POST", "/api/screenshot/region", {"x": 0, "y": 0, "width": 0, "height": 10}, "width"),
    ("POST", "/api/screenshot/region", {"x": 0, "y": 0, "width": 10, "height": 0}, "height"),
    ("POST", "/api/screenshot/region", {"x": -1, "y": 0, "width": 10, "height": 10}, "x"),
    (
        "POST",
        "/api/screenshot/region",
        {"x": 0, "y": 0, "width": 10, "height": 10, "format": "bmp"},
        "format",
    ),
    (
        "POST",
        "/api/screenshot/region",
        {"x": 0, "y": 0, "width": 10, "height": 10, "quality": 0},
        "quality",
    ),
    ("POST", "/api/screenshot/region", {"x": 1435, "y": 0, "width": 10, "height": 10}, "width"),
    ("POST", "/api/screenshot/region", {"x": 0, "y": 895, "width": 10, "height": 10}, "height"),
    ("POST", "/api/input/move", {"x": -1, "y": 0}, "x"),
    ("POST", "/api/input/move", {"x": 0}, "y"),
    ("POST", "/api/input/move", {"x": "5", "y": 0}, "x"),
    ("POST", "/api/input/move", {"x": 1440, "y": 0}, "x"),
    ("POST", "/api/input/move", {"x": 0, "y": 900}, "y"),
    ("POST", "/api/input/click", {"button": 0}, "button"),
    ("POST", "/api/input/click", {"button": 4}, "button"),
    ("POST", "/api/input/click", {"x": 5}, "y"),
    ("POST", "/api/input/click", {"y": 5}, "x"),
    ("POST", "/api/input/click", {"x": 5000, "y": 5}, "x"),
    ("POST", "/api/input/drag", {"from_y": 0, "to_x": 1, "to_y": 1}, "from_x"),
    ("POST", "/api/input/drag", {"from_x": 0, "from_y": 0, "to_x": 1, "to_y": -1}, "to_y"),
    (
        "POST",
        "/api/input/drag",
        {"from_x": 0, "from_y": 0, "to_x": 1, "to_y": 1, "button": 5},
        "button",
    ),
    ("POST", "/api/input/drag", {"from_x": 0, "from_y": 0, "to_x": 1440, "to_y": 1}, "to_x"),
    ("POST", "/api/input/scroll", {"direction": "sideways"}, "direction"),
    ("POST", "/api/input/scroll", {}, "direction"),
    ("POST", "/api/input/scroll", {"direction": "up", "amount": 0}, "amount"),
    ("POST", "/api/input/scroll", {"direction": "up", "amount": 101}, "amount"),
    ("POST", "/api/input/type", {}, "text"),
    ("POST", "/api/input/type", {"text": TOO_LONG}, "text"),
    ("POST", "/api/input/type", {"text": 123}, "text"),
    ("POST", "/api/input/press", {}, "key"),
    ("POST", "/api/input/press", {"key": ""}, "key"),
    ("POST", "/api/input/press", {"key": "NoSuchKeysym"}, "key"),
    ("POST", "/api/input/press", {"key": "a b"}, "key"),
    ("POST", "/api/input/hotkey", {"keys": []}, "keys"),
    ("POST", "/api/input/hotkey", {"keys": ["a"] * 11}, "keys"),
    ("POST", "/api/input/hotkey", {"keys": "ctrl+l"}, "keys"),
    ("POST", "/api/input/hotkey", {"keys": ["ctrl", "NoSuchKeysym"]}, "keys.1"),
    ("POST", "/api/input/hotkey", {"keys": ["ctrl+l"]}, "keys.0"),
    ("POST", "/api/input/hotkey", {"keys": ["ctrl", ""]}, "keys.1"),
    ("GET", "/api/process/bogus/status", None, "process_name"),
    ("POST", "/api/process/XVFB/restart", None, "process_name"),
    ("GET", "/api/process/..%2F..%2Fetc/logs", None, "process_name"),
    ("GET", "/api/process/api/errors", None, "process_name"),
    # A name holding control characters is a bad name too (it was a bare 404).
    ("GET", "/api/process/%0A/status", None, "process_name"),
    ("GET", "/api/process/x%0Ay/logs", None, "process_name"),
    ("GET", "/api/process/%0D%0A/errors", None, "process_name"),
    ("POST", "/api/process/%0A/restart", None, "process_name"),
    ("GET", "/api/process//status", None, "process_name"),
    # The spec's types are not nullable: null is not "left out".
    (
        "POST",
        "/api/screenshot/region",
        {"x": 0, "y": 0, "width": 10, "height": 10, "quality": None},
        "quality",
    ),
    (
        "POST",
        "/api/screenshot/region",
        {"x": 0, "y": 0, "width": 10, "height": 10, "format": None},
        "format",
    ),
    ("POST", "/api/input/click", {"x": None, "y": None}, "x"),
    ("POST", "/api/input/click", {"button": None}, "button"),
    ("POST", "/api/input/scroll", {"direction": "up", "amount": None}, "amount"),
    (
        "POST",
        "/api/input/drag",
        {"from_x": 0, "from_y": 0, "to_x": 1, "to_y": 1, "button": None},
        "button",
    ),
]

REQUIRED_BODIES = [
    "/api/display/screen",
    "/api/screenshot/region",
    "/api/input/move",
    "/api/input/click",
    "/api/input/drag",
    "/api/input/scroll",
    "/api/input/type",
    "/api/input/press",
    "/api/input/hotkey",
]
"""Every POST route whose body the spec marks required."""


def _case_id(case: tuple[str, str, Any, str]) -> str:
    method, path, payload, field = case
    detail = ",".join(f"{k}={str(v)[:8]}" for k, v in (payload or {}).items()) if payload else ""
    return f"{method} {path} {detail} -> {field}"


@pytest.mark.parametrize("case", INVALID, ids=[_case_id(c) for c in INVALID])
async def test_every_validation_rule_answers_400_naming_the_field(
    http: httpx.AsyncClient, case: tuple[str, str, Any, str]
) -> None:
    method, path, payload, field = case
    if method == "GET":
        response = await http.get(path, params=payload)
    else:
        response = await http.request(method, path, json=payload)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"]
    fields = [error["field"] for error in body["errors"]]
    assert field in fields, body
    assert all(error["error"] for error in body["errors"])


@pytest.mark.parametrize("path", REQUIRED_BODIES)
@pytest.mark.parametrize("raw", [None, b"", b"  \n"], ids=["no-body", "empty", "blank"])
async def test_a_required_body_left_out_answers_400(
    http: httpx.AsyncClient, path: str, raw: bytes | None
) -> None:
    headers = {} if raw is None else {"Content-Type": "application/json"}
    response = await http.post(path, content=raw, headers=headers)
    assert response.status_code == 400, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["body"]


async def test_an_empty_object_still_clicks_where_the_pointer_is(http: httpx.AsyncClient) -> None:
    # The official SDK sends {} for a plain click.
    where = (await http.get("/api/input/position")).json()
    response = await http.post("/api/input/click", json={})
    assert response.status_code == 200, response.text
    assert response.json() == where


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b'"text"', b"null", b"\xff\xfe"],
    ids=["broken", "array", "string", "null", "not-utf8"],
)
@pytest.mark.parametrize(
    "path",
    ["/api/input/move", "/api/input/type", "/api/display/screen", "/api/screenshot/region"],
)
async def test_bodies_that_are_not_json_objects_answer_400(
    http: httpx.AsyncClient, path: str, raw: bytes
) -> None:
    response = await http.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["errors"]


async def test_an_oversized_body_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/input/type", content=b'{"text": "' + b"a" * 2_000_000 + b'"}')
    assert response.status_code == 413
    assert response.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("GET", "/api/screenshot", {"x": "99999999999999999999999", "width": "1", "height": "1"}),
        ("GET", "/api/screenshot", {"quality": "1e400"}),
        ("POST", "/api/input/move", {"x": 10**30, "y": 0}),
        ("POST", "/api/input/type", {"text": "\x00\ud7ff\ufffd"}),
        ("POST", "/api/input/press", {"key": "\x00"}),
        ("POST", "/api/input/press", {"key": "-"}),
        ("POST", "/api/input/press", {"key": "--help"}),
        ("POST", "/api/input/hotkey", {"keys": ["--", "a"]}),
        ("POST", "/api/input/scroll", {"direction": None}),
        ("POST", "/api/display/screen", {"width": True, "height": 600}),
        ("GET", "/api/recordings/%00", None),
        ("GET", "/api/recordings/" + "9" * 5000, None),
    ],
)
async def test_odd_inputs_never_answer_500(
    http: httpx.AsyncClient, method: str, path: str, payload: Any
) -> None:
    if method == "GET":
        response = await http.get(path, params=payload)
    else:
        response = await http.request(method, path, json=payload)
    assert response.status_code < 500 or response.status_code == 503, response.text
    assert response.status_code != 500
    if response.status_code >= 400:
        assert response.json()["message"]
