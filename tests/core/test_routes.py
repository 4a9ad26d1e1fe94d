"""The route table: every path of Leap0's desktop spec once, parameters encoded as one
segment each."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from core.routes import ApiRoute, Routes

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "leap0-desktop.openapi.yaml"


def _spec_routes() -> set[tuple[str, str]]:
    """(method, path) of every operation in the spec, parameter names blanked (the spec
    says ``{processName}``, we say ``{process_name}``)."""
    found: set[tuple[str, str]] = set()
    path = None
    for line in SPEC.read_text().splitlines():
        if m := re.fullmatch(r"  (/\S*):", line):
            path = re.sub(r"\{\w+\}", "{}", m.group(1))
        elif path and (m := re.fullmatch(r"    (get|post|put|patch|delete):", line)):
            found.add((m.group(1).upper(), path))
    return found


def test_the_table_is_the_specs_routes() -> None:
    ours = {(r.method, re.sub(r"\{\w+\}", "{}", r.template)) for r in Routes.all()}
    assert len(ours) == len(Routes.all()) == 28
    assert ours == _spec_routes()


def test_parameters_are_encoded_as_one_segment() -> None:
    route = Routes.PROCESS_LOGS
    assert route.parameters == ("process_name",)
    assert route.path(process_name="a/b?c#d%e") == "/api/process/a%2Fb%3Fc%23d%25e/logs"


def test_colon_and_plus_stay_as_they_are() -> None:
    """Both are ``pchar`` (RFC 3986) and the official SDK sends them unencoded."""
    assert Routes.RECORDING.path(recording_id="a:b+c") == "/api/recordings/a:b+c"
    assert Routes.RECORDING.path(recording_id="a b") == "/api/recordings/a%20b"


@pytest.mark.parametrize(
    ("value", "segment"),
    [("..", "%2E%2E"), (".", "%2E"), ("...", "..."), ("..a", "..a"), ("%2e%2e", "%252e%252e")],
)
def test_a_dot_segment_can_never_step_out_of_its_route(value: str, segment: str) -> None:
    path = Routes.DOWNLOAD_RECORDING.path(recording_id=value)

    assert path == f"/api/recordings/{segment}/download"
    # httpx resolves "." and ".." segments of a URL it is given; encoded, they stay.
    assert httpx.URL("http://h" + path).raw_path.decode() == path


def test_a_missing_or_unknown_parameter_is_refused() -> None:
    with pytest.raises(KeyError):
        Routes.RECORDING.path()
    with pytest.raises(TypeError, match="no parameter 'name'"):
        Routes.RECORDING.path(recording_id="r", name="x")


def test_a_server_pattern_names_its_convertor() -> None:
    route = ApiRoute("GET", "/api/process/{process_name}/status")
    assert route.pattern() == route.template
    assert route.pattern("path") == "/api/process/{process_name:path}/status"
