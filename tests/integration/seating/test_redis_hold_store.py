"""The Redis hold store on a real Redis (and on a Redis Cluster), with the scripts' clock driven by
the test."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import msgspec
import pytest

from lml.platform.domain.rate_budget import RateBill, RateBucket, RateLimit
from lml.platform.ids import new_id
from lml.platform.redis import FunctionLibrary, LibrarySource, ShardSubscriber, shard_of
from lml.platform.resources import Resources
from lml.seating.domain.availability import Availability, BuyerRow, InventoryState, SeatRow, ZoneRow
from lml.seating.domain.best_available import BestAvailable
from lml.seating.domain.hold import (
    Holder,
    HoldExtended,
    HoldPlaced,
    HoldRefused,
    HoldRequest,
    HoldTerms,
    InventoryNotLoaded,
    RateLimited,
    new_hold_id,
)
from lml.seating.infrastructure import redis_holds
from lml.seating.infrastructure.redis_holds import TABLE_FIELD, RedisHoldStore, seating_library
from tests.fixtures.seating import seat_ids
from tests.timing import TestClock

pytestmark = pytest.mark.redis_cluster

TERMS = HoldTerms(hold_ms=10_000, cap_ms=20_000, max_per_buyer=8, max_per_address=100)
HOLDER = Holder(owner="user:b", limit_key="user:b", address="net-b", guest=False)


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start=datetime.now(UTC))


@pytest.fixture
def store(resources: Resources, clock: TestClock) -> RedisHoldStore:
    return RedisHoldStore(resources.redis, resources.settings.redis_key_prefix, now_ms=clock.now_ms)


@pytest.fixture
async def show(store: RedisHoldStore) -> str:
    show_id = new_id()
    seats = [SeatRow(s, "available", 0) for s in seat_ids(20)]
    seats[0] = SeatRow(seats[0].seat_id, "sold", 3)
    seats[1] = SeatRow(seats[1].seat_id, "blocked", 1)
    await store.load(show_id, InventoryState(seats, [ZoneRow("floor", 10, 2, 1)]))
    return show_id


def hold(seats: list[str], zones: dict[str, int] | None = None) -> HoldRequest:
    return HoldRequest.parse(seats, zones or {})


async def place(store: RedisHoldStore, show_id: str, request: HoldRequest, owner: str = "user:a",
                terms: HoldTerms = TERMS, *, buyer: str | None = None,
                address: str | None = None) -> tuple[str, HoldPlaced | HoldRefused | InventoryNotLoaded]:
    """`buyer`: the limit key (the owner's own by default); `address`: one of the owner's own by default."""
    hold_id = new_hold_id(show_id, new_id().encode()[-12:])
    holder = Holder(owner=owner, limit_key=buyer or owner, address=address or f"net-{owner}",
                    guest=owner.startswith("guest:"))
    return hold_id, await store.place(show_id, hold_id, holder, "digest", request, terms)


async def test_a_show_not_loaded_asks_for_its_inventory(store: RedisHoldStore) -> None:
    _, outcome = await place(store, new_id(), hold(seat_ids(1)))
    assert isinstance(outcome, InventoryNotLoaded)


async def test_a_hold_takes_every_seat_or_none(store: RedisHoldStore, show: str) -> None:
    free = seat_ids(20)[2:]
    _, first = await place(store, show, hold(free[:3]))
    assert isinstance(first, HoldPlaced)
    _, second = await place(store, show, hold([free[5], free[2]]), owner="user:b")
    assert second == HoldRefused("conflict", seat_ids=(free[2],))
    _, third = await place(store, show, hold([free[5]]), owner="user:b")
    assert isinstance(third, HoldPlaced)


async def test_sold_seats_conflict_blocked_and_unknown_seats_are_refused(store: RedisHoldStore, show: str) -> None:
    sold, blocked, free = seat_ids(20)[0], seat_ids(20)[1], seat_ids(20)[2]
    _, outcome = await place(store, show, hold([free, sold]))
    assert outcome == HoldRefused("conflict", seat_ids=(sold,))
    _, outcome = await place(store, show, hold([free, blocked]))
    assert outcome == HoldRefused("blocked", seat_ids=(blocked,))
    stranger = "f" * 16
    _, outcome = await place(store, show, hold([stranger, free], {"nowhere": 1}))
    assert outcome == HoldRefused("unknown", seat_ids=(stranger,), zone_ids=("nowhere",))


async def test_zone_places_count_capacity_minus_taken_minus_held(store: RedisHoldStore, show: str) -> None:
    _, first = await place(store, show, hold([], {"floor": 5}))
    assert isinstance(first, HoldPlaced)
    _, second = await place(store, show, hold([], {"floor": 4}), owner="user:b")
    assert second == HoldRefused("conflict", zone_ids=("floor",), zone_remaining=(3,))


async def test_expired_holds_free_their_seats_and_zone_places(
    store: RedisHoldStore, show: str, clock: TestClock
) -> None:
    free = seat_ids(20)[2]
    _, first = await place(store, show, hold([free], {"floor": 7}))
    assert isinstance(first, HoldPlaced)
    clock.advance(milliseconds=TERMS.hold_ms)
    _, second = await place(store, show, hold([free], {"floor": 6}), owner="user:b")
    assert isinstance(second, HoldPlaced)
    availability = await store.availability(show)
    assert not isinstance(availability, str | None)
    assert [z.remaining for z in availability.zones] == [2]


async def test_extension_stops_at_the_cap(store: RedisHoldStore, show: str, clock: TestClock) -> None:
    hold_id, placed = await place(store, show, hold(seat_ids(20)[2:4]))
    assert isinstance(placed, HoldPlaced)
    clock.advance(milliseconds=6_000)
    extended = await store.extend(show, hold_id, "user:a", "digest", TERMS.hold_ms)
    assert extended == HoldExtended(placed.expires_at_ms + 6_000, placed.max_expires_at_ms)
    clock.advance(milliseconds=9_000)
    capped = await store.extend(show, hold_id, "user:a", "digest", TERMS.hold_ms)
    assert capped == HoldExtended(placed.max_expires_at_ms, placed.max_expires_at_ms)
    assert await store.extend(show, hold_id, "user:a", "digest", TERMS.hold_ms) == "at_cap"
    assert await store.extend(show, hold_id, "user:a", "wrong", TERMS.hold_ms) == "bad_token"
    assert await store.extend(show, hold_id, "user:b", "digest", TERMS.hold_ms) == "not_found"


async def test_the_buyer_limit_counts_every_live_hold_of_the_buyer(store: RedisHoldStore, show: str) -> None:
    free = seat_ids(20)[2:]
    _, first = await place(store, show, hold(free[:5]))
    assert isinstance(first, HoldPlaced)
    _, second = await place(store, show, hold(free[5:8], {"floor": 1}))
    assert second == HoldRefused("over_limit", held=5, limit=8)
    _, third = await place(store, show, hold(free[5:8]))
    assert isinstance(third, HoldPlaced)


async def test_the_buyer_limit_counts_held_and_ordered_places_of_every_session_of_the_buyer(
    store: RedisHoldStore, show: str
) -> None:
    free = seat_ids(20)[2:]
    _, first = await place(store, show, hold(free[:2]), owner="guest:s1", buyer="guest-email:ada")
    assert isinstance(first, HoldPlaced)
    assert await store.apply(show, [], [], [BuyerRow("guest-email:ada", 5, 2)]) == 1
    _, second = await place(store, show, hold(free[2:4]), owner="guest:s2", buyer="guest-email:ada")
    assert second == HoldRefused("over_limit", held=2, ordered=5, limit=8)
    # A replayed or late count never wins over a newer one.
    assert await store.apply(show, [], [], [BuyerRow("guest-email:ada", 1, 1)]) == 0
    _, third = await place(store, show, hold(free[2:3]), owner="guest:s2", buyer="guest-email:ada")
    assert isinstance(third, HoldPlaced)
    _, fourth = await place(store, show, hold(free[3:4]), owner="guest:s3", buyer="guest-email:ada")
    assert fourth == HoldRefused("over_limit", held=3, ordered=5, limit=8)
    _, other = await place(store, show, hold(free[3:8]), owner="guest:s4", buyer="guest-email:bob")
    assert isinstance(other, HoldPlaced)


async def test_an_ordered_hold_is_dropped_in_the_step_that_counts_its_order(store: RedisHoldStore, show: str) -> None:
    free = seat_ids(20)[2:]
    hold_id, first = await place(store, show, hold(free[:4], {"floor": 2}), address="office")
    assert isinstance(first, HoldPlaced)
    reserved = [SeatRow(s, "reserved", 1) for s in free[:4]]
    taken = [ZoneRow("floor", 10, 4, 2)]
    applied = await store.apply(show, reserved, taken, [BuyerRow("user:a", 6, 1)], drop_holds=[hold_id])
    assert applied == 6
    assert await store.get(show, hold_id) is None
    # Counted once, as ordered: 6 of 8 in orders, none held; the address holds nothing any more.
    _, more = await place(store, show, hold(free[4:7]))
    assert more == HoldRefused("over_limit", held=0, ordered=6, limit=8)
    capped = HoldTerms(hold_ms=10_000, cap_ms=20_000, max_per_buyer=8, max_per_address=2)
    _, office = await place(store, show, hold(free[4:6]), owner="user:b", address="office", terms=capped)
    assert isinstance(office, HoldPlaced)
    # Applying it again changes nothing.
    assert await store.apply(show, reserved, taken, [BuyerRow("user:a", 6, 1)], drop_holds=[hold_id]) == 0
    availability = await store.availability(show)
    assert not isinstance(availability, str | None)
    assert availability.seats == "sb" + "rrrr" + "hh" + "a" * 12


async def test_one_address_holds_at_most_its_cap_until_its_holds_go(
    store: RedisHoldStore, show: str, clock: TestClock
) -> None:
    free = seat_ids(20)[2:]
    terms = HoldTerms(hold_ms=10_000, cap_ms=20_000, max_per_buyer=8, max_per_address=5)
    _, floor = await place(store, show, hold([], {"floor": 2}), owner="guest:b", address="nat", terms=terms)
    assert isinstance(floor, HoldPlaced)
    clock.advance(milliseconds=5_000)
    first_id, first = await place(store, show, hold(free[:3]), owner="guest:a", address="nat", terms=terms)
    assert isinstance(first, HoldPlaced)
    _, third = await place(store, show, hold(free[3:4]), owner="guest:c", address="nat", terms=terms)
    assert third == HoldRefused("address_cap", held=5, limit=5)
    _, elsewhere = await place(store, show, hold(free[3:4]), owner="guest:c", address="home", terms=terms)
    assert isinstance(elsewhere, HoldPlaced)
    assert await store.release(show, first_id, "guest:a", "digest") is None
    _, fourth = await place(store, show, hold(free[4:7]), owner="guest:d", address="nat", terms=terms)
    assert isinstance(fourth, HoldPlaced)
    clock.advance(milliseconds=5_000)  # the floor hold expires
    _, fifth = await place(store, show, hold(free[7:9]), owner="guest:e", address="nat", terms=terms)
    assert isinstance(fifth, HoldPlaced)


async def test_a_hold_placed_before_limit_keys_and_addresses_frees_what_it_counted(
    store: RedisHoldStore, show: str, resources: Resources
) -> None:
    keys = store.show_keys(show)
    hold_id, placed = await place(store, show, hold(seat_ids(20)[2:5]), owner="guest:old", address="nat")
    assert isinstance(placed, HoldPlaced)
    holds_key, buyers_key, addresses_key = keys.keys[3], keys.keys[6], keys.keys[12]
    record = msgspec.json.decode(await resources.redis.hget(holds_key, hold_id))
    del record["b"], record["a"]
    await resources.redis.hset(holds_key, hold_id, msgspec.json.encode(record))
    await resources.redis.hdel(addresses_key, "nat")
    assert await store.get(show, hold_id) is not None
    assert await store.release(show, hold_id, "guest:old", "digest") is None
    assert await resources.redis.hkeys(buyers_key) == [TABLE_FIELD]
    assert await resources.redis.hkeys(addresses_key) == [TABLE_FIELD]


async def test_a_loaded_show_keeps_its_hashes_hash_tables_however_few_their_fields(
    store: RedisHoldStore, show: str, resources: Resources
) -> None:
    # In a listpack, Redis's form for a hash of few fields, finding a field walks the fields before it.
    _, placed = await place(store, show, hold(seat_ids(20)[2:4]))
    assert isinstance(placed, HoldPlaced)
    encodings = {}
    for key in store.show_keys(show).keys:
        if await resources.redis.type(key) == b"hash":
            encoding = await resources.redis.object("encoding", key)
            encodings[key.split(b":")[-2].decode()] = encoding.decode() if isinstance(encoding, bytes) else encoding
    tables = ("inv", "idx", "holder", "holds", "buyers", "ordered", "addresses", "places", "rows", "labels", "free",
              "rowranks")
    # `zones`: a few fields per GA zone, handed over whole by the availability snapshot.
    assert encodings == {name: "hashtable" for name in tables} | {"zones": "listpack"}


async def test_a_rebuild_in_many_calls_loads_every_seat_and_every_buyers_orders(
    store: RedisHoldStore, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_holds, "LOAD_CHUNK", 3)
    show_id = new_id()
    seats = [SeatRow(s, "sold" if i < 7 else "available", 1) for i, s in enumerate(seat_ids(10))]
    buyers = [BuyerRow(f"user:{i}", 1, 1) for i in range(6)] + [BuyerRow("user:a", 7, 3)]
    await store.load(show_id, InventoryState(seats, [ZoneRow("floor", 4, 0, 1)], buyers))
    availability = await store.availability(show_id)
    assert not isinstance(availability, str | None)
    assert (availability.seats, [z.remaining for z in availability.zones]) == ("s" * 7 + "aaa", [4])
    _, refused = await place(store, show_id, hold(seat_ids(10)[7:9]))
    assert refused == HoldRefused("over_limit", held=0, ordered=7, limit=8)
    _, placed = await place(store, show_id, hold(seat_ids(10)[7:9]), owner="user:5")
    assert isinstance(placed, HoldPlaced)


async def test_a_flush_then_rebuild_keeps_sold_seats_unholdable(
    store: RedisHoldStore, show: str, resources: Resources
) -> None:
    sold = seat_ids(20)[0]
    await resources.redis.flushdb()
    _, outcome = await place(store, show, hold([sold]))
    assert isinstance(outcome, InventoryNotLoaded)
    seats = [SeatRow(s, "available", 0) for s in seat_ids(20)]
    seats[0] = SeatRow(sold, "sold", 3)
    await store.load(show, InventoryState(seats, []))
    _, outcome = await place(store, show, hold([sold]))
    assert outcome == HoldRefused("conflict", seat_ids=(sold,))


async def test_a_stale_update_never_moves_a_seat_back(store: RedisHoldStore, show: str) -> None:
    seat = seat_ids(20)[2]
    assert await store.apply(show, [SeatRow(seat, "sold", 5)], []) == 1
    assert await store.apply(show, [SeatRow(seat, "available", 4)], []) == 0
    _, outcome = await place(store, show, hold([seat]))
    assert outcome == HoldRefused("conflict", seat_ids=(seat,))


async def test_the_status_string_follows_every_change(store: RedisHoldStore, show: str, clock: TestClock) -> None:
    seats = seat_ids(20)
    first = await store.availability(show)
    assert not isinstance(first, str | None)
    assert first.seats == "sb" + "a" * 18
    _hold_id, placed = await place(store, show, hold(seats[2:4]))
    assert isinstance(placed, HoldPlaced)
    second = await store.availability(show, first.version)
    assert not isinstance(second, str | None)
    assert second.seats == "sbhh" + "a" * 16
    assert await store.availability(show, second.version) == second.version
    clock.advance(milliseconds=TERMS.hold_ms)
    third = await store.availability(show, second.version)
    assert not isinstance(third, str | None)
    assert third.seats == first.seats
    assert third.version != first.version


async def test_the_snapshot_spends_the_readers_budget_in_its_own_step_loaded_or_not(
    store: RedisHoldStore, show: str
) -> None:
    def bill(show_id: str) -> RateBill:
        # Tagged like the show's keys: one slot of a cluster.
        return RateBill([RateBucket(f"lml:ratelimit:general:{{{show_id}}}:address:1", RateLimit(2, 0.001))])

    first, second = bill(show), bill(show)
    whole = await store.availability(show, None, first)
    assert isinstance(whole, Availability)
    assert await store.availability(show, whole.version, second) == whole.version
    assert [(b.decision.allowed, b.decision.remaining) for b in (first, second) if b.decision] == [(True, 1), (True, 0)]
    refused = bill(show)
    assert isinstance(await store.availability(show, whole.version, refused), RateLimited)
    assert refused.decision is not None and not refused.decision.allowed and refused.decision.retry_after >= 1
    # A show not loaded (or unknown) is asked for only as long as the budget lasts.
    unknown = new_id()
    answers = [await store.availability(unknown, None, bill(unknown)) for _ in range(3)]
    assert answers[:2] == [None, None] and isinstance(answers[2], RateLimited)


async def test_readers_of_a_show_at_once_are_each_answered_on_their_own_budget(
    store: RedisHoldStore, show: str
) -> None:
    # 150 readers in one turn (more than one call holds), every third already past their budget of one.
    def bill(reader: int) -> RateBill:
        return RateBill([RateBucket(f"lml:ratelimit:general:{{{show}}}:reader:{reader}:{new_id()}",
                                    RateLimit(1, 0.001))])

    bills = [bill(i) for i in range(150)]
    for spent in bills[::3]:
        assert not isinstance(await store.availability(show, None, spent), RateLimited)
        spent.decision = None  # as a new request of that reader, on the same bucket
    whole = await store.availability(show)
    assert isinstance(whole, Availability)
    answers = await asyncio.gather(*(store.availability(show, whole.version, b) for b in bills))
    for i, (answer, b) in enumerate(zip(answers, bills, strict=True)):
        assert b.decision is not None
        if i % 3 == 0:
            assert isinstance(answer, RateLimited) and not b.decision.allowed
        else:
            assert answer == whole.version and (b.decision.allowed, b.decision.remaining) == (True, 0)
    # Readers that know another version, or none, in the same turn: each gets what it needs.
    _, placed = await place(store, show, hold(seat_ids(20)[5:6]))
    assert isinstance(placed, HoldPlaced)
    old, new, none = await asyncio.gather(store.availability(show, whole.version), store.availability(show, "x"),
                                          store.availability(show))
    assert isinstance(old, Availability) and old == new == none and old.seats[5] == "h"


async def test_a_buyer_reading_right_after_a_hold_sees_it_however_many_read_with_them(
    store: RedisHoldStore, show: str
) -> None:
    seats = seat_ids(20)[2:]

    async def hold_then_read(seat: int) -> str:
        _, placed = await place(store, show, hold([seats[seat]]), owner=f"user:{seat}")
        assert isinstance(placed, HoldPlaced)
        answer = await store.availability(show)
        assert isinstance(answer, Availability)
        return answer.seats[2 + seat]

    readers = [store.availability(show) for _ in range(40)]
    seen = await asyncio.gather(*(hold_then_read(i) for i in range(len(seats))), *readers)
    assert seen[:len(seats)] == ["h"] * len(seats)


async def test_changes_are_published_and_logged(
    store: RedisHoldStore, show: str, resources: Resources
) -> None:
    channel = store.show_keys(show).channel
    subscriber = ShardSubscriber(resources.redis, await shard_of(resources.redis, channel))
    listener = subscriber.pubsub
    await listener.ssubscribe(channel)
    try:
        start = await store.availability(show)
        assert not isinstance(start, str | None)
        seat = seat_ids(20)[7]
        _, placed = await place(store, show, hold([seat], {"floor": 2}))
        assert isinstance(placed, HoldPlaced)
        message = None
        async with asyncio.timeout(5):
            while message is None:
                message = await listener.get_message(ignore_subscribe_messages=True, timeout=1)
        entry_id, _, _body = message["data"].partition(b" ")
        logged = await store.changes_after(show, start.last_change_id)
        assert logged is not None and len(logged) == 1
        change = logged[0]
        assert change.id == entry_id.decode()
        assert change.seats == {seat: "h"}
        assert change.zones == {"floor": 6}
    finally:
        await subscriber.aclose()


async def test_the_library_redis_lost_is_loaded_again_by_the_call_that_finds_it_gone(
    store: RedisHoldStore, show: str, resources: Resources
) -> None:
    free = seat_ids(20)[2:]
    _, before = await place(store, show, hold(free[:2]))
    assert isinstance(before, HoldPlaced)

    # As a restart or a failover to an empty replica would (this library only: other tests share the server).
    await resources.redis.function_delete(seating_library().name)

    budget = RateBill([RateBucket(f"lml:ratelimit:holds:{{{show}}}:buyer", RateLimit(5, 1.0))])
    hold_id = new_hold_id(show, new_id().encode()[-12:])
    after = await store.place(show, hold_id, HOLDER, "digest", hold(free[2:4]), TERMS, budget)
    assert isinstance(after, HoldPlaced) and budget.decision is not None and budget.decision.remaining == 4
    whole = await store.availability(show)
    assert isinstance(whole, Availability) and [whole.seats[i] for i in range(2, 6)] == ["h"] * 4


async def test_an_older_versions_library_left_loaded_does_not_break_this_ones(
    store: RedisHoldStore, show: str, resources: Resources
) -> None:
    current = seating_library()
    older_name = "lml_seating_0123456789abcdef"  # an older process's, during a rolling deploy
    older = LibrarySource(older_name, current.code.replace(current.name, older_name),
                          {short: name.replace(current.name, older_name) for short, name in current.functions.items()})
    await FunctionLibrary(resources.redis, older).load()
    try:
        free = seat_ids(20)[2:]
        hold_id, placed = await place(store, show, hold(free[:2]))
        assert isinstance(placed, HoldPlaced)

        keys = store.show_keys(show)
        read = FunctionLibrary(resources.redis, older).function("read_hold")
        answer = await read(keys.keys, ["", keys.channel, hold_id])  # the older process reads the same hold
        assert answer[0] == b"ok"
        assert (await store.get(show, hold_id)) is not None
    finally:
        await resources.redis.function_delete(older_name)


async def test_a_best_available_hold_spends_the_buyers_budget_in_its_own_step_once_the_show_is_loaded(
    store: RedisHoldStore, show: str
) -> None:
    def bill(show_id: str) -> RateBill:
        return RateBill([RateBucket(f"lml:ratelimit:holds:{{{show_id}}}:buyer", RateLimit(2, 0.001))])

    best = HoldRequest.parse([], {}, BestAvailable(quantity=1, together=False))
    first, second, third = bill(show), bill(show), bill(show)
    outcomes = [await store.place(show, new_hold_id(show, new_id().encode()[-12:]), HOLDER, "digest", best, TERMS, b)
                for b in (first, second, third)]
    # The show has no seat layout, so no best seats: refused, yet the budget is spent.
    assert [o.reason if isinstance(o, HoldRefused) else type(o) for o in outcomes] == [
        "not_enough", "not_enough", RateLimited]
    assert [(b.decision.allowed, b.decision.remaining) for b in (first, second, third) if b.decision] == [
        (True, 1), (True, 0), (False, 0)]
    # A show not loaded spends nothing: its caller loads it and asks again.
    unknown = new_id()
    unloaded = bill(unknown)
    assert isinstance(await store.place(unknown, new_hold_id(unknown, new_id().encode()[-12:]), HOLDER, "digest", best,
                                        TERMS, unloaded), InventoryNotLoaded)
    assert unloaded.decision is None
