"""The control plane's listing over real HTTP: pages as they come, merged, paced, kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.sandbox_watch import ListingUpdate, SandboxWatch
from core.sandboxes import walk_sandboxes
from core.transport import AsyncTransport
from tests.fleet.conftest import FAST_RETRY
from tests.support.fake_control_plane import API_KEY, FakeCloud
from tests.support.loopback import serve


async def next_where(updates: AsyncIterator[ListingUpdate], *, listing: bool) -> ListingUpdate:
    """The next update that is (or is not) a page of a listing in progress."""
    async for update in updates:
        if update.listing == listing:
            return update
    raise AssertionError("the updates ended")


def transport_for(url: str, key: str = API_KEY) -> AsyncTransport:
    return AsyncTransport(api_key=key, base_url=url, timeout=5.0, retry=FAST_RETRY)


async def test_the_walk_reports_each_page_and_every_sandbox(
    cloud: FakeCloud, cloud_url: str
) -> None:
    async with transport_for(cloud_url) as transport:
        steps = [step async for step in walk_sandboxes(transport, page_size=100)]
    assert [s.progress for s in steps] == [f"page {n}/5" for n in range(1, 6)]
    assert len(steps[0].rows) == 100 and steps[0].rows[0].id == "sbx-00499"  # newest first
    assert [s.id for s in steps[-1].rows] == [r["id"] for r in cloud.sandboxes]
    assert steps[-1].last and not steps[-1].disturbed
    # Each step's fresh rows are its own page: the steps' fresh rows add up to the rows.
    assert all(len(s.fresh) == 100 for s in steps)
    assert [r for s in steps for r in s.fresh] == list(steps[-1].rows)


async def test_a_sandbox_deleted_mid_walk_drops_no_other(cloud: FakeCloud, cloud_url: str) -> None:
    before = [r["id"] for r in cloud.sandboxes]
    async with transport_for(cloud_url) as transport:
        walk = walk_sandboxes(transport, page_size=100)
        first = await anext(walk)
        cloud.delete(before[10])  # on the page just read: the rest slide one place up
        rest = [step async for step in walk]
    assert len(first.rows) == 100
    ids = {s.id for s in rest[-1].rows}
    assert set(before) - ids <= {before[10]}
    assert before[100] in ids  # slid from page 2 onto page 1 while the walk was on page 2
    assert rest[-1].disturbed
    assert before[100] in {s.id for s in rest[0].fresh}  # page 1, read again with page 2
    assert len(rest[0].fresh) == 200


@pytest.mark.parametrize("churn", [(3, 0), (3, 3), (120, 1), (1, 4)])
async def test_a_walk_while_the_account_changes_misses_no_sandbox_that_stayed(
    cloud: FakeCloud, cloud_url: str, churn: tuple[int, int]
) -> None:
    before = {r["id"] for r in cloud.sandboxes}
    cloud.churn = churn  # after every page: so many deleted, so many created
    async with transport_for(cloud_url) as transport:
        steps = [step async for step in walk_sandboxes(transport, page_size=50)]
    cloud.churn = (0, 0)
    stayed = before & {r["id"] for r in cloud.sandboxes}
    listed = {s.id for s in steps[-1].rows}
    assert stayed - listed == set()
    assert len(steps[-1].rows) == len(listed)  # each once


async def test_the_watch_keeps_rows_when_the_control_plane_goes_down(
    cloud: FakeCloud, cloud_url: str
) -> None:
    async with transport_for(cloud_url) as transport:
        watch = SandboxWatch(transport, min_interval=0.05, interval_factor=1, max_interval=0.2)
        updates = watch.updates()
        seen: list[ListingUpdate] = []
        async for update in updates:
            seen.append(update)
            if not update.listing:
                break
        done = seen[-1]
        assert len(done.rows) == 500 and done.listed_at is not None and not done.stale
        assert [u.progress for u in seen[:-1]] == [f"page {n}/5" for n in range(1, 6)]
        cloud.fail_status = 502
        failed = await next_where(updates, listing=False)
        assert failed.stale and failed.rows == done.rows and failed.listed_at == done.listed_at
        assert failed.error is not None and failed.error.startswith("502")
        cloud.fail_status = None
        back = await next_where(updates, listing=False)
        assert not back.stale and back.listed_at is not None and back.listed_at > done.listed_at
        await updates.aclose()


async def test_a_refused_key_is_one_error_and_no_storm(cloud: FakeCloud, cloud_url: str) -> None:
    async with transport_for(cloud_url, key="wrong") as transport:
        watch = SandboxWatch(transport, min_interval=0.01, max_interval=30)
        seen: list[ListingUpdate] = []
        arrived = asyncio.Event()

        async def follow() -> None:
            async for update in watch.updates():
                seen.append(update)
                arrived.set()

        async def until_seen(count: int) -> None:
            async with asyncio.timeout(10):
                while len(seen) < count:
                    arrived.clear()
                    await arrived.wait()

        following = asyncio.create_task(follow())
        await until_seen(1)
        await asyncio.sleep(0.5)  # no second try comes by itself
        assert len(seen) == 1 and cloud.listing_requests == 1
        update = seen[0]
        assert update.refused and update.rows == ()
        assert update.error is not None and "refused the API key" in update.error
        assert "401" in update.error
        watch.refresh()  # the user asks again: one more request
        await until_seen(2)
        assert len(seen) == 2 and cloud.listing_requests == 2
        following.cancel()


async def test_the_interval_grows_with_the_listing_time() -> None:
    app = FakeCloud(300, desktops=0)
    app.page_delay = 0.1
    with serve(app) as url:
        async with transport_for(url) as transport:
            watch = SandboxWatch(transport, min_interval=0.01, interval_factor=10, max_interval=60)
            updates = watch.updates()
            done = await next_where(updates, listing=False)
            assert watch.last_duration is not None and watch.last_duration >= 0.3
            assert done.next_in == pytest.approx(10 * watch.last_duration)
            watch.set_slow(True)
            assert watch.interval_after(1.0) == 10.0  # on screen
            assert watch.paced(1.0) == watch.slow_factor and watch.paced(10.0) == 60.0
            watch.refresh()  # honoured at once, not after the interval
            async with asyncio.timeout(5):
                second = await next_where(updates, listing=True)
            assert second.progress == "page 1/3"
            assert second.rows == done.rows  # the last listing stays on screen meanwhile
            await updates.aclose()


async def test_a_quick_listing_of_many_pages_waits_for_its_pages_at_the_page_rate() -> None:
    # 1,000 sandboxes answered at once: the next listing is paced by its 10 pages at 4 a
    # second (2.5 s), not by how fast they came, so the control plane is not hammered.
    with serve(FakeCloud(1000, desktops=0)) as url:
        async with transport_for(url) as transport:
            watch = SandboxWatch(
                transport, min_interval=0.01, interval_factor=2, max_page_rate=4, max_interval=60
            )
            updates = watch.updates()
            done = await next_where(updates, listing=False)
            assert watch.last_pages == 10 and watch.last_duration is not None
            assert watch.last_duration < 1.0
            assert done.next_in == pytest.approx(2.5)
            await updates.aclose()


async def test_back_on_screen_a_listing_due_by_the_usual_pace_starts_at_once() -> None:
    app = FakeCloud(30, desktops=0)
    with serve(app) as url:
        async with transport_for(url) as transport:
            watch = SandboxWatch(transport, min_interval=0.3, interval_factor=1, max_interval=60)
            updates = watch.updates()
            await next_where(updates, listing=False)
            watch.set_slow(True)  # a desktop screen opens: 0.3 s becomes 60 s
            second = asyncio.ensure_future(next_where(updates, listing=True))
            await asyncio.sleep(0.6)
            assert not second.done() and app.listing_requests == 1
            watch.set_slow(False)  # back: the listing is overdue, it starts now
            async with asyncio.timeout(2):
                await second
            assert app.listing_requests == 2
            await updates.aclose()
