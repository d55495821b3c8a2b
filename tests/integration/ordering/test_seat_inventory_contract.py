"""The seats side of ordering's transaction port (`tx.seats`), one contract run against the in-memory
world the unit tests use (`MemorySeats`) and against PostgreSQL (seating's inventory through its
facade, `SeatingPlaces` → `PgOrderInventory`, on a show put on sale by the catalog): an order
reserves exactly its seats and GA places or nothing, with every conflict named; selling, releasing
and returning move each place once; tickets given back return their places; the show's limit per
buyer counts what each buyer has reserved or bought; and two orders racing for a seat queue up.

What is free is observed the way a buyer meets it: by whether the next order can reserve it."""

from __future__ import annotations

import asyncio

import pytest

from lml.ordering.application.ports import OrderingTransaction
from lml.ordering.domain.errors import SeatsTaken
from lml.ordering.domain.order import Buyer, Order
from lml.ordering.domain.tickets import tickets_for
from lml.platform.domain.buyer_limit import BuyerLimitExceeded
from lml.platform.ids import new_id
from tests.integration.ordering.implementations import BOB, ZONE, ZONE_CAPACITY, Ordering
from tests.timing import eventually

# Another session of Bob's: guests count as one buyer by their email.
BOB_AGAIN = Buyer(kind="guest", subject="bob-again", email="BOB@example.com")


async def reserve(ordering: Ordering, order: Order, *, limit: int | None = None) -> None:
    """Add the order and reserve its places, as placing it does; committed."""

    async def place(tx: OrderingTransaction) -> None:
        await tx.orders.add(order, actor=order.buyer.owner)
        await tx.seats.reserve(order, max_per_buyer=limit)

    await ordering.committed(place)


async def refused(ordering: Ordering, order: Order, *, limit: int | None = None) -> SeatsTaken:
    with pytest.raises(SeatsTaken) as taken:
        await reserve(ordering, order, limit=limit)
    return taken.value


async def free(ordering: Ordering, *, seats: list[str], ga: int) -> None:
    """These seats and GA places can all be reserved now (a probe, never committed)."""
    probe = ordering.order(buyer=Buyer(kind="user", subject=new_id()), seats=seats, ga=ga)
    async with ordering.transaction() as tx:
        await tx.orders.add(probe, actor=probe.buyer.owner)
        await tx.seats.reserve(probe)


async def test_an_order_takes_exactly_its_places_and_the_next_one_is_told_each_conflict(ordering: Ordering) -> None:
    s = ordering.seat_ids
    await reserve(ordering, ordering.order(seats=s[:2], ga=3))
    taken = await refused(ordering, ordering.order(BOB, seats=[s[3], s[1], "ffffffffffffffff", s[0]], ga=2))
    assert taken.extensions == {"conflicts": [s[1], "ffffffffffffffff", s[0]], "zones": {ZONE: 1}}
    no_zone = ordering.order(BOB, seats=[], ga=1, zone="balcony")
    assert (await refused(ordering, no_zone)).extensions == {"conflicts": [], "zones": {"balcony": 0}}
    await free(ordering, seats=s[2:], ga=1)  # nothing of the refused orders was kept


async def test_reserved_places_are_sold_released_and_returned_each_once(ordering: Ordering) -> None:
    s = ordering.seat_ids
    sold, released = ordering.order(seats=s[:2], ga=2), ordering.order(BOB, seats=s[2:4], ga=2)
    await reserve(ordering, sold)
    await reserve(ordering, released)

    async def move(tx: OrderingTransaction) -> None:
        await tx.seats.sell(sold)
        await tx.seats.sell(sold)
        await tx.seats.release(sold)  # sold: not reserved any more
        await tx.seats.return_to_sale(released)  # reserved: not sold
        await tx.seats.release(released)
        await tx.seats.release(released)
        await tx.seats.sell(released)  # released: not reserved any more

    await ordering.committed(move)
    await free(ordering, seats=s[2:], ga=2)
    assert (await refused(ordering, ordering.order(seats=s[1:3], ga=3))).extensions == {
        "conflicts": [s[1]], "zones": {ZONE: 2}}

    async def refund(tx: OrderingTransaction) -> None:
        await tx.seats.return_to_sale(sold)
        await tx.seats.return_to_sale(sold)

    await ordering.committed(refund)
    await free(ordering, seats=s, ga=ZONE_CAPACITY)


async def test_tickets_given_back_return_their_places_and_a_full_refund_then_the_rest(ordering: Ordering) -> None:
    s = ordering.seat_ids
    order = ordering.order(seats=s[:2], ga=3)
    await reserve(ordering, order)
    await ordering.committed(lambda tx: tx.seats.sell(order))
    seat_ticket, _, *ga_tickets = tickets_for(order, new_id)

    async def give_back(tx: OrderingTransaction) -> None:
        await tx.seats.return_places(order, [seat_ticket, ga_tickets[0]])
        await tx.seats.return_places(order, [seat_ticket])  # that seat is back on sale already

    await ordering.committed(give_back)
    await free(ordering, seats=[s[0]], ga=2)
    taken = await refused(ordering, ordering.order(BOB, seats=s[:2], ga=3))
    assert taken.extensions == {"conflicts": [s[1]], "zones": {ZONE: 2}}
    # More GA places than the order still has are not given back at all.
    await ordering.committed(lambda tx: tx.seats.return_places(order, ga_tickets[:2] + ga_tickets[:1]))
    await ordering.committed(lambda tx: tx.seats.return_to_sale(order))
    await free(ordering, seats=s, ga=ZONE_CAPACITY)
    assert (await refused(ordering, ordering.order(BOB, seats=[], ga=ZONE_CAPACITY + 1))).extensions == {
        "conflicts": [], "zones": {ZONE: ZONE_CAPACITY}}


async def test_the_buyers_limit_counts_what_they_reserved_or_bought_and_not_what_went_back(
    ordering: Ordering,
) -> None:
    s = ordering.seat_ids
    first = ordering.order(seats=s[:2])
    await reserve(ordering, first, limit=4)
    with pytest.raises(BuyerLimitExceeded) as over:
        await reserve(ordering, ordering.order(seats=s[2:3], ga=2), limit=4)
    assert over.value.extensions == {"limit": 4, "held": 0, "ordered": 2, "requested": 3, "errors": over.value.errors}
    await reserve(ordering, ordering.order(seats=s[2:3], ga=2))  # no limit given: not checked
    await reserve(ordering, ordering.order(BOB, seats=s[3:4]), limit=1)
    with pytest.raises(BuyerLimitExceeded):
        await reserve(ordering, ordering.order(BOB_AGAIN, seats=s[4:5]), limit=1)

    gone = ordering.order(seats=s[4:5], ga=2)
    await reserve(ordering, gone, limit=8)  # Ann has 8 places now
    await ordering.committed(lambda tx: tx.seats.sell(gone))
    seat_ticket, ga_ticket, _ = tickets_for(gone, new_id)
    await ordering.committed(lambda tx: tx.seats.return_places(gone, [seat_ticket, ga_ticket]))
    await ordering.committed(lambda tx: tx.seats.release(first))
    await reserve(ordering, ordering.order(seats=s[:2], ga=1), limit=7)  # 4 left with Ann, and 3 more


async def test_a_late_payment_takes_its_released_places_back_only_when_all_are_free(ordering: Ordering) -> None:
    s = ordering.seat_ids
    late, meanwhile = ordering.order(seats=s[:2], ga=1), ordering.order(BOB, seats=s[1:2])
    await reserve(ordering, late)
    await ordering.committed(lambda tx: tx.seats.release(late))
    await reserve(ordering, meanwhile)
    async with ordering.transaction() as tx:
        with pytest.raises(SeatsTaken):
            async with tx.savepoint():
                await tx.seats.reserve(late, max_per_buyer=late.buyer_limit)
        await tx.commit()
    await free(ordering, seats=[s[0]], ga=ZONE_CAPACITY)
    await ordering.committed(lambda tx: tx.seats.release(meanwhile))
    await ordering.committed(lambda tx: tx.seats.reserve(late, max_per_buyer=late.buyer_limit))
    assert (await refused(ordering, ordering.order(BOB, seats=s[:1]))).extensions == {"conflicts": [s[0]]}


async def test_places_reserved_without_a_commit_stay_free(ordering: Ordering) -> None:
    s = ordering.seat_ids
    async with ordering.transaction() as tx:
        order = ordering.order(seats=s, ga=ZONE_CAPACITY)
        await tx.orders.add(order, actor="user:ann")
        await tx.seats.reserve(order)
    await free(ordering, seats=s, ga=ZONE_CAPACITY)


async def test_two_orders_racing_for_a_seat_queue_and_the_second_is_refused_once_the_first_commits(
    ordering: Ordering,
) -> None:
    s = ordering.seat_ids
    first, second = ordering.order(seats=s[:2], ga=2), ordering.order(BOB, seats=s[1:3], ga=2)
    async with ordering.transaction() as tx:
        await tx.orders.add(first, actor="user:ann")
        await tx.seats.reserve(first)
        racing = asyncio.create_task(refused(ordering, second))
        await eventually(ordering.someone_waits, within=5, what="the second order waiting for the seat")
        await tx.commit()
    assert (await racing).extensions == {"conflicts": [s[1]]}
    await free(ordering, seats=s[2:], ga=2)
