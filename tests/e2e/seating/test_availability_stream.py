"""The availability stream: a snapshot, then changes made through any API process, resumable (on
one Redis, and some on a Redis Cluster)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from litestar import Litestar

from lml.app import create_app
from lml.config import Settings
from lml.container import Container, build_container
from lml.platform.resources import Resources
from lml.seating.infrastructure.actors import purge_expired_holds
from tests.e2e.seating.sse_client import SseStream
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.seating import MakeBuyer, place_hold
from tests.timing import TestClock


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A heartbeat short enough to see."""
    return msgspec.structs.replace(settings, sse_heartbeat_seconds=0.2)


@pytest.fixture
def seating_app(app: Litestar) -> Litestar:
    return app


@pytest.fixture
async def other_process(settings: Settings, hold_clock: TestClock) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process: its own container (its own connections to PostgreSQL and Redis), its own app."""
    other = build_container(settings, hold_now_ms=hold_clock.now_ms)
    await other.open()
    transport = httpx.ASGITransport(app=create_app(container=other))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://other.local") as client:
            yield client
    finally:
        await other.close()


def stream_url(show: TestShow) -> str:
    return f"/v1/shows/{show.show_id}/availability/stream"


def index_of(show: TestShow, seat_id: str) -> int:
    return sorted(show.seat_ids).index(seat_id)


@pytest.mark.redis_cluster
async def test_a_hold_and_a_release_made_elsewhere_appear_on_the_stream(
    seating_app: Litestar, other_process: httpx.AsyncClient, make_buyer: MakeBuyer,
    make_show_on_sale: MakeShowOnSale,
) -> None:
    show = await make_show_on_sale(seats=10, zones={"floor": 20})
    seats = show.seat_ids[3:5]
    async with SseStream(seating_app, stream_url(show)) as stream:
        snapshot = await stream.next()
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert snapshot.event == "snapshot"
        body = json.loads(snapshot.data)
        assert body["seats"] == "a" * 10
        assert body["zones"] == [{"zone_id": "floor", "capacity": 20, "remaining": 20}]

        held = await place_hold(other_process, show.show_id, make_buyer(), seats=seats, zones={"floor": 2})
        change = await stream.next()
        assert change.event == "change"
        assert json.loads(change.data)["seats"] == dict.fromkeys(seats, "h")
        assert json.loads(change.data)["zones"] == {"floor": 18}

        released = await other_process.delete(f"/v1/holds/{held.hold_id}", headers=held.if_match)
        assert released.status_code == 204
        change = await stream.next()
        assert json.loads(change.data) == {"version": json.loads(change.data)["version"],
                                           "seats": dict.fromkeys(seats, "a"), "zones": {"floor": 20}}


async def test_a_reconnect_with_last_event_id_gets_what_it_missed(
    seating_app: Litestar, api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale,
) -> None:
    show = await make_show_on_sale(seats=10)
    async with SseStream(seating_app, stream_url(show)) as stream:
        await stream.next()
        await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:1])
        last = await stream.next()
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[1:2])
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[2:3])
    assert last.id is not None
    async with SseStream(seating_app, stream_url(show), {"Last-Event-ID": last.id}) as resumed:
        missed = [await resumed.next(), await resumed.next()]
        assert [m.event for m in missed] == ["change", "change"]
        assert [list(json.loads(m.data)["seats"]) for m in missed] == [show.seat_ids[1:2], show.seat_ids[2:3]]
    async with SseStream(seating_app, stream_url(show), {"Last-Event-ID": "1-0"}) as unknown:
        fresh = await unknown.next()
        assert fresh.event == "snapshot"
        statuses = json.loads(fresh.data)["seats"]
        assert [statuses[index_of(show, s)] for s in show.seat_ids[:3]] == ["h", "h", "h"]


@pytest.mark.redis_cluster
async def test_an_idle_stream_sends_heartbeats_and_expiry_is_published_by_the_sweep(
    seating_app: Litestar, api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale,
    hold_clock: TestClock, resources: Resources, container: Container,
) -> None:
    show = await make_show_on_sale(seats=10)
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2])
    async with SseStream(seating_app, stream_url(show)) as stream:
        await stream.next()
        heartbeat = await stream.next(comments=True)
        assert heartbeat.comment == "heartbeat"
        hold_clock.advance(milliseconds=show.hold_seconds * 1000)
        assert await purge_expired_holds(container.seating) == 1
        expired = await stream.next()
        assert json.loads(expired.data)["seats"] == dict.fromkeys(show.seat_ids[:2], "a")
    assert await purge_expired_holds(container.seating) == 0


async def test_a_disconnected_stream_leaves_no_task_behind(
    seating_app: Litestar, make_show_on_sale: MakeShowOnSale, resources: Resources, container: Container,
) -> None:
    show = await make_show_on_sale(seats=4)
    hub = container.seating.hub
    streams = [SseStream(seating_app, stream_url(show)) for _ in range(3)]
    for stream in streams:
        await stream.__aenter__()
        await stream.next()
    assert (hub.streams, hub.running) == (3, True)
    for stream in streams:
        await stream.__aexit__(None, None, None)
        assert stream.task is not None and stream.task.done()
    assert (hub.streams, hub.running) == (0, False)
    await asyncio.sleep(0)  # the cancelled feed task gets to run its cleanup
    names = {task.get_name() for task in asyncio.all_tasks()}
    assert "seating-availability-hub" not in names


async def test_the_stream_of_an_unknown_show_is_404(seating_app: Litestar) -> None:
    async with SseStream(seating_app, "/v1/shows/01a20106-9beb-7d7f-b70f-8c6c39102a87/availability/stream") as s:
        assert s.task is not None
        await asyncio.wait_for(s.task, 5)
        assert s.status == 404
