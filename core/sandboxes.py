"""The Leap0 control plane's sandbox routes: list the account's sandboxes, get one.

Per ``leap0-control-plane.openapi.yaml``: ``GET /v1/sandboxes`` (paginated, filtered by
state, sorted by creation time or state) and ``GET /v1/sandbox/{id}/``. Both go to the
transport's ``base_url`` with its API key.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import validation_error
from core.references import checked_sandbox_id
from core.transport import AsyncTransport, parse_response

__all__ = [
    "ListingPage",
    "SandboxPage",
    "SandboxState",
    "SandboxStatus",
    "SandboxSummary",
    "get_sandbox",
    "list_sandboxes",
    "list_sandboxes_page",
    "walk_sandboxes",
]

SandboxState = Literal[
    "starting",
    "stopping",
    "snapshotting",
    "running",
    "paused",
    "unpausing",
    "stopped",
    "deleting",
    "deleted",
]
MAX_PAGES = 1000
"""Stop walking pages here: 100,000 sandboxes is past any real account."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SandboxSummary(_Model):
    """One row of the sandbox listing."""

    id: str
    template_id: str
    pod_id: str = ""
    state: str
    launch_time: datetime | None = None
    state_change_time: datetime | None = None
    timeout_at: int | None = Field(default=None, description="Unix seconds of the time-out.")
    created_at: datetime

    def time_left(self, now: datetime | None = None) -> float | None:
        """Seconds until the sandbox times out (negative once past), or None if unknown."""
        if self.timeout_at is None:
            return None
        now = now or datetime.now(UTC)
        return self.timeout_at - now.timestamp()


class SandboxPage(_Model):
    items: list[SandboxSummary]
    total_items: int


class SandboxStatus(_Model):
    """``GET /v1/sandbox/{id}/``: the sandbox's size, time-out and state."""

    id: str
    template_id: str
    vcpu: int
    memory: int = Field(description="MiB")
    disk: int = Field(description="MiB")
    timeout: int = Field(description="seconds")
    state: str
    auto_pause: bool
    created_at: datetime


class _ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: SandboxState | None = None
    sort: Literal["created_at", "state"] = "created_at"
    order_by: Literal["asc", "desc"] = Field(default="desc", serialization_alias="order-by")
    page: Annotated[int, Field(ge=1)] = 1
    page_size: Annotated[int, Field(ge=1, le=100)] = Field(
        default=20, serialization_alias="page-size"
    )


async def list_sandboxes_page(
    transport: AsyncTransport,
    *,
    state: str | None = None,
    sort: str = "created_at",
    order_by: str = "desc",
    page: int = 1,
    page_size: int = 20,
    http_timeout: float | None = None,
) -> SandboxPage:
    """One page of the listing. Raises Leap0ValidationError for a bad argument, unsent."""
    try:
        query = _ListQuery(
            state=state,
            sort=sort,
            order_by=order_by,
            page=page,
            page_size=page_size,
        )
    except ValidationError as exc:
        raise validation_error(exc, "list sandboxes", desktop=transport.base_url) from exc
    response = await transport.request(
        "GET",
        transport.control_plane,
        "/v1/sandboxes",
        params=query.model_dump(by_alias=True, exclude_none=True),
        http_timeout=http_timeout,
        what="list sandboxes",
    )
    return parse_response(SandboxPage, response, "list sandboxes", transport.base_url)


async def list_sandboxes(
    transport: AsyncTransport,
    *,
    state: str | None = None,
    sort: str = "created_at",
    order_by: str = "desc",
    page_size: int = 100,
    http_timeout: float | None = None,
) -> list[SandboxSummary]:
    """Every sandbox of the account, walking all pages (``page_size`` per request)."""
    items: list[SandboxSummary] = []
    seen: set[str] = set()
    for page in range(1, MAX_PAGES + 1):
        batch = await list_sandboxes_page(
            transport,
            state=state,
            sort=sort,
            order_by=order_by,
            page=page,
            page_size=page_size,
            http_timeout=http_timeout,
        )
        # A sandbox created while paging shifts the rest by one: skip repeats.
        items.extend(s for s in batch.items if s.id not in seen)
        seen.update(s.id for s in batch.items)
        if len(batch.items) < page_size or page * page_size >= batch.total_items:
            break
    return items


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One step of :func:`walk_sandboxes`: the rows so far, after page ``page`` of ``pages``.

    ``rows`` are every sandbox seen so far in this walk, in listing order, each once (the
    latest row of a sandbox seen twice); ``fresh`` are the rows this step read (its page,
    and the pages it read again). ``pages`` is the count the last answer's
    ``total_items`` implies, so it may change during a walk. ``last`` is true on the final
    step.
    """

    rows: tuple[SandboxSummary, ...]
    fresh: tuple[SandboxSummary, ...]
    page: int
    pages: int
    total_items: int
    last: bool
    disturbed: bool
    """``total_items`` changed during the walk: sandboxes came or went meanwhile, so a row
    may have slid from a page not yet read to one already read (see :func:`walk_sandboxes`)."""

    @property
    def progress(self) -> str:
        """``"page 12/50"``."""
        return f"page {self.page}/{max(self.pages, self.page)}"


async def walk_sandboxes(
    transport: AsyncTransport,
    *,
    state: str | None = None,
    page_size: int = 100,
    http_timeout: float | None = None,
) -> AsyncIterator[ListingPage]:
    """Walk the listing (newest first), yielding after each page, so the first rows show at once.

    The spec's pagination is by page number over a list that changes while it is walked.
    A sandbox created meanwhile pushes the rest one place later: a row is read twice, and
    kept once. A sandbox deleted meanwhile pulls the rest one place earlier: the row that
    slid from the next page onto the one just read would be missed. A row can only be
    missed when more sandboxes went than came, which shows as a drop in ``total_items``
    between two answers: then the pages the rows slid onto are read again (one page per
    ``page_size`` gone) and merged, and the walk says it was ``disturbed`` (the watcher
    then keeps rows of the previous listing it did not see, until a quiet walk confirms
    they are gone). Errors raise as :func:`list_sandboxes_page` raises them; the rows
    yielded so far stay valid.
    """
    rows: dict[str, SandboxSummary] = {}
    total: int | None = None
    disturbed = False
    page = 1
    while page <= MAX_PAGES:
        batch = await list_sandboxes_page(
            transport, state=state, page=page, page_size=page_size, http_timeout=http_timeout
        )
        fresh: list[SandboxSummary] = []
        if total is not None and batch.total_items != total:
            disturbed = True
            # A net shift to the left of k places is at most the drop in total_items: read
            # again the pages the k rows before this page now fall on.
            gone = total - batch.total_items
            first_again = max(1, page - math.ceil(gone / page_size)) if gone > 0 else page
            for again in range(first_again, page):
                earlier = await list_sandboxes_page(
                    transport,
                    state=state,
                    page=again,
                    page_size=page_size,
                    http_timeout=http_timeout,
                )
                fresh += earlier.items
        fresh += batch.items
        total = batch.total_items
        rows.update((s.id, s) for s in fresh)
        pages = max(1, math.ceil(total / page_size))
        last = len(batch.items) < page_size or page * page_size >= total
        yield ListingPage(tuple(rows.values()), tuple(fresh), page, pages, total, last, disturbed)
        if last:
            return
        page += 1


async def get_sandbox(
    transport: AsyncTransport, sandbox_id: str, *, http_timeout: float | None = None
) -> SandboxStatus:
    """One sandbox's status. Raises Leap0NotFoundError when there is no such sandbox."""
    checked_sandbox_id(sandbox_id)
    response = await transport.request(
        "GET",
        transport.control_plane,
        f"/v1/sandbox/{quote(sandbox_id, safe='')}/",
        http_timeout=http_timeout,
        what=f"get sandbox {sandbox_id}",
    )
    return parse_response(SandboxStatus, response, f"get sandbox {sandbox_id}", transport.base_url)
