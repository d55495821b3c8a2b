"""The availability hub on one Redis and on a Redis Cluster: each show's streams get that show's
changes, over shard channels subscribed per show on the node of the show's slot, and a show whose
last stream left is unsubscribed (a stream that comes back at once keeps its feed)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from lml.platform.ids import new_id
from lml.platform.redis import RedisClient, shard_of
from lml.platform.resources import Resources
from lml.seating.domain.availability import AvailabilityChange, InventoryState, SeatRow
from lml.seating.domain.hold import Holder, HoldPlaced, HoldRequest, HoldTerms, new_hold_id
from lml.seating.infrastructure.redis_holds import RedisHoldStore
from lml.seating.infrastructure.sse import AvailabilityHub, Subscription
from tests.fixtures.seating import seat_ids
from tests.timing import TestClock, eventually

pytestmark = pytest.mark.redis_cluster

TERMS = HoldTerms(hold_ms=10_000, cap_ms=20_000, max_per_buyer=8, max_per_address=100)
SHOWS = 8


@pytest.fixture
def store(resources: Resources) -> RedisHoldStore:
    clock = TestClock(start=datetime.now(UTC))
    return RedisHoldStore(resources.redis, resources.settings.redis_key_prefix, now_ms=clock.now_ms)


@pytest.fixture
def hub(resources: Resources) -> AvailabilityHub:
    return AvailabilityHub(resources.redis, resources.settings.redis_key_prefix)


async def a_show(store: RedisHoldStore) -> str:
    show_id = new_id()
    await store.load(show_id, InventoryState([SeatRow(s, "available", 0) for s in seat_ids(10)], []))
    return show_id


async def hold_seat(store: RedisHoldStore, show_id: str, seat: str) -> None:
    holder = Holder(owner="user:a", limit_key="user:a", address="net-a", guest=False)
    placed = await store.place(show_id, new_hold_id(show_id, new_id().encode()[-12:]), holder, "digest",
                               HoldRequest.parse([seat], {}), TERMS)
    assert isinstance(placed, HoldPlaced)


async def next_change(subscription: Subscription) -> AvailabilityChange:
    async with asyncio.timeout(5):
        item = await subscription.queue.get()
    assert isinstance(item, AvailabilityChange), item
    return item


async def unsubscribed(redis: RedisClient, store: RedisHoldStore, show_id: str) -> bool:
    return await listeners(redis, store, show_id) == 0


async def listeners(redis: RedisClient, store: RedisHoldStore, show_id: str) -> int:
    channel = store.show_keys(show_id).channel
    node = await shard_of(redis, channel)
    reply = await redis.pubsub_shardnumsub(channel, **({"target_nodes": node} if node else {}))
    return int(reply[0][1])


async def test_each_shows_streams_get_that_shows_changes_whichever_node_serves_it(
    store: RedisHoldStore, hub: AvailabilityHub, resources: Resources, redis_mode: str,
) -> None:
    shows = [await a_show(store) for _ in range(SHOWS)]
    nodes = {await shard_of(resources.redis, store.show_keys(s).channel) for s in shows}
    assert len(nodes) > 1 if redis_mode == "cluster" else nodes == {None}
    subscriptions = [await hub.subscribe(show_id) for show_id in shows]
    try:
        for number, show_id in enumerate(shows):
            await hold_seat(store, show_id, seat_ids(10)[number])
        for number, subscription in enumerate(subscriptions):
            change = await next_change(subscription)
            assert change.seats == {seat_ids(10)[number]: "h"}
            assert subscription.queue.empty()
    finally:
        for subscription in subscriptions:
            subscription.close()
    assert not hub.running


async def test_a_show_whose_streams_left_is_unsubscribed_and_one_that_comes_back_keeps_its_feed(
    store: RedisHoldStore, hub: AvailabilityHub, resources: Resources,
) -> None:
    staying, leaving, returning = [await a_show(store) for _ in range(3)]
    kept = await hub.subscribe(staying)
    gone = await hub.subscribe(leaving)
    back = await hub.subscribe(returning)
    try:
        gone.close()
        back.close()
        back = await hub.subscribe(returning)  # before the hub got round to unsubscribing it
        await eventually(lambda: unsubscribed(resources.redis, store, leaving), what="the show left unsubscribed")
        assert await listeners(resources.redis, store, returning) == 1

        for show_id in (staying, leaving, returning):
            await hold_seat(store, show_id, seat_ids(10)[0])
        assert (await next_change(kept)).seats == {seat_ids(10)[0]: "h"}
        assert (await next_change(back)).seats == {seat_ids(10)[0]: "h"}
        again = await hub.subscribe(leaving)
        await hold_seat(store, leaving, seat_ids(10)[1])
        assert (await next_change(again)).seats == {seat_ids(10)[1]: "h"}
        again.close()
    finally:
        kept.close()
        back.close()
    assert not hub.running
