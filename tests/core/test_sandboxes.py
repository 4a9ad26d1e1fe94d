"""The control plane's sandbox listing and status, over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core import AsyncTransport, Leap0AuthError, Leap0NotFoundError, Leap0ValidationError
from core.sandboxes import get_sandbox, list_sandboxes, list_sandboxes_page
from core.transport import RetryPolicy
from tests.support.loopback import serve


def sandbox(i: int, state: str = "running") -> dict[str, Any]:
    return {
        "id": f"sbx-{i:03d}",
        "template_id": "desktop",
        "pod_id": "",
        "state": state,
        "timeout_at": 2_000_000_000,
        "created_at": "2026-11-28T10:00:00Z",
        "unknown_field": "ignored",
    }


@dataclass
class ControlPlane:
    sandboxes: list[dict[str, Any]] = field(default_factory=list)
    seen: list[Request] = field(default_factory=list)

    def app(self) -> Starlette:
        async def listing(request: Request) -> JSONResponse:
            self.seen.append(request)
            if request.headers.get("authorization") != "Bearer cp-key":
                return JSONResponse({"message": "invalid API key"}, status_code=401)
            page = int(request.query_params.get("page", "1"))
            size = int(request.query_params.get("page-size", "20"))
            items = self.sandboxes
            if state := request.query_params.get("state"):
                items = [s for s in items if s["state"] == state]
            chunk = items[(page - 1) * size : page * size]
            return JSONResponse({"items": chunk, "total_items": len(items)})

        async def one(request: Request) -> JSONResponse:
            self.seen.append(request)
            sid = request.path_params["sid"]
            for s in self.sandboxes:
                if s["id"] == sid:
                    return JSONResponse(
                        {
                            **s,
                            "vcpu": 2,
                            "memory": 4096,
                            "disk": 10240,
                            "timeout": 3600,
                            "auto_pause": False,
                        }
                    )
            return JSONResponse({"message": f"sandbox {sid} not found"}, status_code=404)

        return Starlette(
            routes=[
                Route("/v1/sandboxes", listing),
                Route("/v1/sandbox/{sid}/", one),
            ]
        )


@pytest.fixture
def control_plane() -> Iterator[tuple[ControlPlane, str]]:
    plane = ControlPlane(
        sandboxes=[sandbox(i, "running" if i % 3 else "paused") for i in range(250)]
    )
    with serve(plane.app()) as url:
        yield plane, url


def transport(url: str, key: str = "cp-key") -> AsyncTransport:
    return AsyncTransport(key, base_url=url, retry=RetryPolicy(attempts=1))


async def test_list_walks_every_page(control_plane: tuple[ControlPlane, str]) -> None:
    plane, url = control_plane
    async with transport(url) as t:
        items = await list_sandboxes(t, page_size=100)
    assert [s.id for s in items] == [f"sbx-{i:03d}" for i in range(250)]
    queries = [dict(r.query_params) for r in plane.seen]
    assert [q["page"] for q in queries] == ["1", "2", "3"]
    assert queries[0] == {
        "sort": "created_at",
        "order-by": "desc",
        "page": "1",
        "page-size": "100",
    }
    assert all(r.headers["authorization"] == "Bearer cp-key" for r in plane.seen)
    assert items[0].time_left() is not None


async def test_list_filters_by_state(control_plane: tuple[ControlPlane, str]) -> None:
    plane, url = control_plane
    async with transport(url) as t:
        items = await list_sandboxes(t, state="paused", sort="state", order_by="asc")
    assert items and all(s.state == "paused" for s in items)
    assert plane.seen[0].query_params["state"] == "paused"
    assert plane.seen[0].query_params["order-by"] == "asc"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"state": "exploded"}, "state"),
        ({"sort": "name"}, "sort"),
        ({"order_by": "sideways"}, "order_by"),
        ({"page": 0}, "page"),
        ({"page_size": 101}, "page_size"),
    ],
)
async def test_bad_query_is_refused_unsent(
    control_plane: tuple[ControlPlane, str], kwargs: dict[str, Any], field: str
) -> None:
    plane, url = control_plane
    async with transport(url) as t:
        with pytest.raises(Leap0ValidationError) as info:
            await list_sandboxes_page(t, **kwargs)
    assert info.value.field == field
    assert plane.seen == []


async def test_get_one_and_errors(control_plane: tuple[ControlPlane, str]) -> None:
    plane, url = control_plane
    async with transport(url) as t:
        status = await get_sandbox(t, "sbx-007")
        assert (status.id, status.vcpu, status.memory) == ("sbx-007", 2, 4096)
        with pytest.raises(Leap0NotFoundError) as info:
            await get_sandbox(t, "sbx-999")
        assert "sbx-999 not found" in str(info.value)
        with pytest.raises(Leap0ValidationError):
            await get_sandbox(t, "../v1/sandboxes")
    assert [r.url.path for r in plane.seen] == ["/v1/sandbox/sbx-007/", "/v1/sandbox/sbx-999/"]


async def test_wrong_key_is_an_auth_error(control_plane: tuple[ControlPlane, str]) -> None:
    _, url = control_plane
    async with transport(url, key="wrong") as t:
        with pytest.raises(Leap0AuthError) as info:
            await list_sandboxes(t)
    assert info.value.status_code == 401
    assert "invalid API key" in str(info.value)
