"""Ordering's use cases on the in-memory fakes: placing, paying (on time, late, twice, out of order),
failing, expiring, cancelling and refunding, and what each leaves of seats, tickets and events."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from lml.ordering.application.cancel_show import cancel_orders_of_cancelled_shows, start_show_cancellation
from lml.ordering.application.place_order import payment_for_order, place_order
from lml.ordering.application.ports import HoldForOrder, ShowTerms
from lml.ordering.application.refund_order import refund_order
from lml.ordering.application.refund_requests import request_refund
from lml.ordering.application.release_orders import cancel_order, expire_due_orders, expire_order
from lml.ordering.application.settle_payments import (
    OVER_LIMIT_REFUND_REASON,
    record_payment_failed,
    record_payment_succeeded,
    record_refund,
)
from lml.ordering.application.testing import MemoryWorld, ReservedPlaces
from lml.ordering.domain.checkout import ChosenSeat, ChosenZone, ShowNotSelling, Tier
from lml.ordering.domain.errors import (
    HoldAlreadyOrdered,
    OrderNotCancellable,
    OrderNotFound,
    OrderNotPayable,
    OrderNotRefundable,
    RefundTooLarge,
    SeatsTaken,
)
from lml.ordering.domain.order import Buyer, Order, OrderStatus, Payment
from lml.ordering.events import OrderPaid, OrderPlaced, OrderRefunded, OrderReleased
from lml.platform.domain.buyer_limit import BuyerLimitExceeded
from lml.platform.domain.errors import NotFound, Unavailable
from tests.timing import TestClock

S = OrderStatus
SHOW = "0190a0b0-0000-7000-8000-0000000000bb"
ANN = Buyer(kind="user", subject="ann", email="ann@example.com")
BOB = Buyer(kind="guest", subject="bob", email="bob@example.com")
SEATS = [f"{n:016x}" for n in range(1, 6)]


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start=datetime(2027, 3, 1, 18, 0, tzinfo=UTC))


@pytest.fixture
def world(clock: TestClock) -> MemoryWorld:
    world = MemoryWorld(seats=SEATS, zones={"floor": 4})
    world.shows[SHOW] = ShowTerms(show_id=SHOW, organization_id="org", currency="USD",
                                  starts_at=clock.now() + timedelta(days=7), sale_status="on_sale",
                                  tiers={"a": Tier(tier_id="a", name="Stalls", price=5000, fee=250),
                                         "ga": Tier(tier_id="ga", name="Floor", price=2000)},
                                  max_seats_per_buyer=8)
    return world


_ids = (f"0190a0b0-0000-7000-8000-{n:012x}" for n in itertools.count(1))


def new_id() -> str:
    return next(_ids)


def hold(world: MemoryWorld, clock: TestClock, buyer: Buyer, seats: list[str], ga: int = 0) -> str:
    hold_id = f"hold-{len(world.holds) + 1}"
    world.holds[hold_id] = ("token", f"{buyer.kind}:{buyer.subject}", HoldForOrder(
        hold_id=hold_id, show_id=SHOW, seats=[ChosenSeat(seat_id=s, tier_id="a") for s in seats],
        zones=[ChosenZone(zone_id="floor", tier_id="ga", quantity=ga)] if ga else [],
        expires_at=clock.now() + timedelta(minutes=8)))
    return hold_id


async def order_from(world: MemoryWorld, clock: TestClock, buyer: Buyer, seats: list[str], ga: int = 0) -> Order:
    placed = await place_order(transaction=world.transaction, holds=world, payments=world, sync=world,
                               clock=clock, new_id=new_id, buyer=buyer, hold_id=hold(world, clock, buyer, seats, ga),
                               hold_token="token")
    return placed.order


async def pay(world: MemoryWorld, clock: TestClock, order: Order, *, amount: int | None = None) -> None:
    async with world.transaction() as tx:
        await record_payment_succeeded(tx, clock=clock, new_id=new_id, order_id=order.order_id, payment=Payment(
            payment_intent_id="pi_1", amount=order.total if amount is None else amount, currency="usd"))
        await tx.commit()


async def refund_news(
    world: MemoryWorld, clock: TestClock, order: Order, refund_id: str, amount: int, status: str
) -> None:
    async with world.transaction() as tx:
        await record_refund(tx, clock=clock, order_id=order.order_id, refund_id=refund_id, amount=amount,
                            status=status)  # type: ignore[arg-type]
        await tx.commit()


def status_of(world: MemoryWorld, order: Order) -> S:
    return world.state.orders[order.order_id].status


def seats_of(world: MemoryWorld, seats: list[str]) -> list[str]:
    return [world.state.seats[s][0] for s in seats]


async def test_placing_an_order_reserves_its_seats_and_prices_its_lines(world: MemoryWorld, clock: TestClock) -> None:
    placed = await place_order(transaction=world.transaction, holds=world, payments=world, sync=world,
                               clock=clock, new_id=new_id, buyer=ANN, hold_id=hold(world, clock, ANN, SEATS[:2], ga=2),
                               hold_token="token")
    order = placed.order
    assert order.status is S.PENDING_PAYMENT and order.total == 2 * 5250 + 2 * 2000 and order.currency == "USD"
    assert order.expires_at == clock.now() + timedelta(minutes=13)  # the hold's 8 minutes, plus the payment grace
    assert seats_of(world, SEATS[:2]) == ["reserved", "reserved"] and world.state.zones["floor"] == [4, 2, 0]
    assert placed.payment is not None and placed.payment.payment_intent_id == "pi_1"
    assert [type(e) for e in world.state.events] == [OrderPlaced]
    assert world.synced == [(order.order_id, order.hold_id, ReservedPlaces(order.order_id))]


async def test_a_seat_taken_meanwhile_refuses_the_order_and_writes_nothing(
    world: MemoryWorld, clock: TestClock
) -> None:
    world.state.seats[SEATS[1]] = ("sold", "someone")
    with pytest.raises(SeatsTaken) as refused:
        await order_from(world, clock, ANN, SEATS[:3])
    assert refused.value.extensions["conflicts"] == [SEATS[1]]
    assert world.state.orders == {} and seats_of(world, SEATS[:3]) == ["available", "sold", "available"]


async def test_an_order_past_the_buyers_limit_is_refused_and_writes_nothing(
    world: MemoryWorld, clock: TestClock
) -> None:
    world.shows[SHOW] = msgspec.structs.replace(world.shows[SHOW], max_seats_per_buyer=3)
    await order_from(world, clock, ANN, SEATS[:2])
    with pytest.raises(BuyerLimitExceeded) as refused:
        await order_from(world, clock, ANN, SEATS[2:3], ga=1)
    assert (refused.value.extensions["ordered"], refused.value.extensions["requested"]) == (2, 2)
    assert len(world.state.orders) == 1 and seats_of(world, SEATS[2:3]) == ["available"]
    await order_from(world, clock, ANN, SEATS[2:3])
    await order_from(world, clock, BOB, SEATS[3:5])


async def test_a_late_payment_that_would_pass_the_limit_is_refunded(world: MemoryWorld, clock: TestClock) -> None:
    """Meanwhile the buyer ordered up to the limit again: taking the expired order's places back would
    sell past it, so its money goes back instead."""
    world.shows[SHOW] = msgspec.structs.replace(world.shows[SHOW], max_seats_per_buyer=3)
    late = await order_from(world, clock, ANN, SEATS[:2])
    clock.move_to(late.expires_at)
    await expire_order(transaction=world.transaction, sync=world, clock=clock, order_id=late.order_id)
    await order_from(world, clock, ANN, SEATS[2:5])
    await pay(world, clock, late)
    assert status_of(world, late) is S.REFUND_PENDING and seats_of(world, SEATS[:2]) == ["available", "available"]
    assert [(o, a, r) for _, o, a, r in world.state.refund_requests] == [
        (late.order_id, late.total, OVER_LIMIT_REFUND_REASON)]


async def test_a_hold_ordered_already_names_the_existing_order(world: MemoryWorld, clock: TestClock) -> None:
    order = await order_from(world, clock, ANN, SEATS[:1])
    with pytest.raises(HoldAlreadyOrdered) as again:
        await place_order(transaction=world.transaction, holds=world, payments=world, sync=world,
                          clock=clock, new_id=new_id, buyer=ANN, hold_id=order.hold_id, hold_token="token")
    assert again.value.extensions["order_id"] == order.order_id


async def test_someone_elses_hold_or_a_wrong_token_writes_nothing(world: MemoryWorld, clock: TestClock) -> None:
    hold_id = hold(world, clock, ANN, SEATS[:1])
    for buyer, token in ((BOB, "token"), (ANN, "wrong")):
        with pytest.raises(NotFound):
            await place_order(transaction=world.transaction, holds=world, payments=world, sync=world,
                              clock=clock, new_id=new_id, buyer=buyer, hold_id=hold_id, hold_token=token)
    assert world.state.orders == {} and seats_of(world, SEATS[:1]) == ["available"]


async def test_stripe_down_leaves_the_order_awaiting_payment_and_a_retry_gets_its_one_intent(
    world: MemoryWorld, clock: TestClock
) -> None:
    world.provider_down = True
    order = await order_from(world, clock, ANN, SEATS[:1])
    assert status_of(world, order) is S.PENDING_PAYMENT
    with pytest.raises(Unavailable):
        await payment_for_order(transaction=world.transaction, payments=world, buyer=ANN, order_id=order.order_id)
    world.provider_down = False
    _, first = await payment_for_order(transaction=world.transaction, payments=world, buyer=ANN,
                                       order_id=order.order_id)
    _, second = await payment_for_order(transaction=world.transaction, payments=world, buyer=ANN,
                                        order_id=order.order_id)
    assert first == second and len(world.intents) == 1
    with pytest.raises(NotFound):
        await payment_for_order(transaction=world.transaction, payments=world, buyer=BOB, order_id=order.order_id)


async def test_a_payment_sells_the_seats_and_issues_one_ticket_per_place_once(
    world: MemoryWorld, clock: TestClock
) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2], ga=3)
    for _ in range(10):
        await pay(world, clock, order)
    assert status_of(world, order) is S.PAID
    assert seats_of(world, SEATS[:2]) == ["sold", "sold"] and world.state.zones["floor"] == [4, 0, 3]
    assert len(world.state.tickets) == 5
    assert [type(e) for e in world.state.events] == [OrderPlaced, OrderPaid]
    assert [a[2] for a in world.state.audit] == ["created", "payment_succeeded"]


async def test_a_failed_payment_keeps_the_seats_and_a_retry_can_still_pay(world: MemoryWorld, clock: TestClock) -> None:
    order = await order_from(world, clock, ANN, SEATS[:1])
    async with world.transaction() as tx:
        await record_payment_failed(tx, clock=clock, order_id=order.order_id, reason="card_declined")
        await tx.commit()
    assert status_of(world, order) is S.PAYMENT_FAILED and seats_of(world, SEATS[:1]) == ["reserved"]
    await pay(world, clock, order)
    assert status_of(world, order) is S.PAID


async def test_an_order_paid_just_before_its_deadline_stays_paid(world: MemoryWorld, clock: TestClock) -> None:
    order = await order_from(world, clock, ANN, SEATS[:1])
    clock.move_to(order.expires_at - timedelta(milliseconds=1))
    await pay(world, clock, order)
    clock.move_to(order.expires_at)
    assert not await expire_order(transaction=world.transaction, sync=world, clock=clock, order_id=order.order_id)
    assert await expire_due_orders(transaction=world.transaction, sync=world, clock=clock) == 0
    assert status_of(world, order) is S.PAID and seats_of(world, SEATS[:1]) == ["sold"]


async def test_expiry_releases_the_seats_once(world: MemoryWorld, clock: TestClock) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2], ga=1)
    clock.move_to(order.expires_at - timedelta(seconds=1))
    assert not await expire_order(transaction=world.transaction, sync=world, clock=clock, order_id=order.order_id)
    clock.move_to(order.expires_at)
    assert await expire_due_orders(transaction=world.transaction, sync=world, clock=clock) == 1
    assert not await expire_order(transaction=world.transaction, sync=world, clock=clock, order_id=order.order_id)
    assert status_of(world, order) is S.EXPIRED
    assert seats_of(world, SEATS[:2]) == ["available", "available"] and world.state.zones["floor"] == [4, 0, 0]
    assert [type(e) for e in world.state.events] == [OrderPlaced, OrderReleased]


async def test_a_late_payment_gets_the_same_seats_back_when_they_are_free(world: MemoryWorld, clock: TestClock) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2])
    clock.move_to(order.expires_at)
    await expire_order(transaction=world.transaction, sync=world, clock=clock, order_id=order.order_id)
    await pay(world, clock, order)
    assert status_of(world, order) is S.PAID and seats_of(world, SEATS[:2]) == ["sold", "sold"]
    assert len(world.state.tickets) == 2 and world.state.refund_requests == []


async def test_a_late_payment_whose_seats_were_resold_is_refunded(world: MemoryWorld, clock: TestClock) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2])
    clock.move_to(order.expires_at)
    await expire_order(transaction=world.transaction, sync=world, clock=clock, order_id=order.order_id)
    other = await order_from(world, clock, BOB, SEATS[1:3])
    await pay(world, clock, other)
    await pay(world, clock, order)
    assert status_of(world, order) is S.REFUND_PENDING and world.state.orders[order.order_id].unseated
    assert [(r[1], r[2]) for r in world.state.refund_requests] == [(order.order_id, order.total)]
    assert seats_of(world, SEATS[:3]) == ["available", "sold", "sold"]
    assert {t.order_id for t in world.state.tickets.values()} == {other.order_id}
    await pay(world, clock, order)  # the same success again: nothing more is owed
    assert len(world.state.refund_requests) == 1
    await refund_news(world, clock, order, "refund-1", order.total, "succeeded")
    assert status_of(world, order) is S.REFUNDED and seats_of(world, SEATS[:1]) == ["available"]


async def test_a_refund_reported_before_the_payment_leaves_the_order_refunded_without_seats(
    world: MemoryWorld, clock: TestClock
) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2])
    await refund_news(world, clock, order, "re_1", order.total, "succeeded")
    assert status_of(world, order) is S.PENDING_PAYMENT
    await pay(world, clock, order)
    assert status_of(world, order) is S.REFUNDED
    assert seats_of(world, SEATS[:2]) == ["available", "available"] and world.state.tickets == {}


async def test_cancelling_releases_the_seats_and_the_payment_intent_at_once(
    world: MemoryWorld, clock: TestClock
) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2])
    with pytest.raises(NotFound):
        await cancel_order(transaction=world.transaction, sync=world, clock=clock, buyer=BOB, order_id=order.order_id)
    cancelled = await cancel_order(transaction=world.transaction, sync=world, clock=clock, buyer=ANN,
                                   order_id=order.order_id)
    again = await cancel_order(transaction=world.transaction, sync=world, clock=clock, buyer=ANN,
                               order_id=order.order_id)
    assert cancelled.status is again.status is S.CANCELLED
    assert seats_of(world, SEATS[:2]) == ["available", "available"]
    assert [type(e) for e in world.state.events] == [OrderPlaced, OrderReleased]


async def test_a_paid_order_cannot_be_cancelled_nor_paid_again(world: MemoryWorld, clock: TestClock) -> None:
    order = await order_from(world, clock, ANN, SEATS[:1])
    await pay(world, clock, order)
    with pytest.raises(OrderNotCancellable):
        await cancel_order(transaction=world.transaction, sync=world, clock=clock, buyer=ANN, order_id=order.order_id)
    with pytest.raises(OrderNotPayable):
        await payment_for_order(transaction=world.transaction, payments=world, buyer=ANN, order_id=order.order_id)


async def test_a_full_refund_voids_the_tickets_and_returns_the_seats_before_the_show(
    world: MemoryWorld, clock: TestClock
) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2])
    await pay(world, clock, order)
    pending = await refund_order(transaction=world.transaction, clock=clock, operator="operator:o1",
                                 order_id=order.order_id, amount=None, reason="show moved")
    assert pending.status is S.REFUND_PENDING and pending.refund_in_flight == order.total
    again = await refund_order(transaction=world.transaction, clock=clock, operator="operator:o1",
                               order_id=order.order_id, amount=None, reason="show moved")
    assert again == pending and len(world.state.refund_requests) == 1  # idempotent
    await refund_news(world, clock, order, "refund-1", order.total, "pending")
    await refund_news(world, clock, order, "refund-1", order.total, "succeeded")
    await refund_news(world, clock, order, "refund-1", order.total, "succeeded")
    assert status_of(world, order) is S.REFUNDED
    assert {t.status for t in world.state.tickets.values()} == {"void"}
    assert seats_of(world, SEATS[:2]) == ["available", "available"]
    assert [type(e) for e in world.state.events][-1] is OrderRefunded


async def test_a_refund_after_the_show_started_keeps_the_seats_sold(world: MemoryWorld, clock: TestClock) -> None:
    order = await order_from(world, clock, ANN, SEATS[:1])
    await pay(world, clock, order)
    clock.move_to(order.show_starts_at + timedelta(minutes=5))
    await refund_order(transaction=world.transaction, clock=clock, operator="operator:o1", order_id=order.order_id,
                       amount=None, reason="complaint")
    await refund_news(world, clock, order, "refund-1", order.total, "succeeded")
    assert status_of(world, order) is S.REFUNDED and seats_of(world, SEATS[:1]) == ["sold"]


async def test_partial_refunds_never_exceed_what_was_paid(world: MemoryWorld, clock: TestClock) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2])
    await pay(world, clock, order)
    await refund_order(transaction=world.transaction, clock=clock, operator="operator:o1", order_id=order.order_id,
                       amount=3000, reason="goodwill")
    with pytest.raises(RefundTooLarge):
        await refund_order(transaction=world.transaction, clock=clock, operator="operator:o1",
                           order_id=order.order_id, amount=order.total - 2999, reason="too much")
    await refund_news(world, clock, order, "refund-1", 3000, "succeeded")
    assert status_of(world, order) is S.PARTIALLY_REFUNDED
    assert {t.status for t in world.state.tickets.values()} == {"valid"}
    assert seats_of(world, SEATS[:2]) == ["sold", "sold"]


@pytest.mark.parametrize("sale_status", ["cancelled", "scheduled"])
async def test_no_order_for_a_cancelled_show_or_one_not_on_sale_yet(
    world: MemoryWorld, clock: TestClock, sale_status: str
) -> None:
    world.shows[SHOW] = msgspec.structs.replace(world.shows[SHOW], sale_status=sale_status)
    with pytest.raises(ShowNotSelling):
        await order_from(world, clock, ANN, SEATS[:1])
    assert world.state.orders == {} and seats_of(world, SEATS[:1]) == ["available"]


async def test_a_live_hold_may_still_be_ordered_after_the_sale_window_closed(
    world: MemoryWorld, clock: TestClock
) -> None:
    world.shows[SHOW] = msgspec.structs.replace(world.shows[SHOW], sale_status="off_sale")
    assert (await order_from(world, clock, ANN, SEATS[:1])).status is S.PENDING_PAYMENT


async def _start_cancellation(world: MemoryWorld, clock: TestClock) -> None:
    """As it happens: the catalog marks the show's terms cancelled (seating's copy, in the catalog's
    cancelling transaction), then ordering starts the show's cancellation."""
    world.shows[SHOW] = msgspec.structs.replace(world.shows[SHOW], sale_status="cancelled")
    async with world.transaction() as tx:
        await start_show_cancellation(tx, show_id=SHOW, organization_id="org", cancelled_at=clock.now())
        await tx.commit()


async def _cancel_show(world: MemoryWorld, clock: TestClock) -> int:
    await _start_cancellation(world, clock)
    return await cancel_orders_of_cancelled_shows(transaction=world.transaction, sync=world, clock=clock, limit=1)


async def test_a_cancelled_show_cancels_its_unpaid_orders_and_refunds_its_paid_ones_once(
    world: MemoryWorld, clock: TestClock
) -> None:
    paid = await order_from(world, clock, ANN, SEATS[:2])
    await pay(world, clock, paid)
    unpaid = await order_from(world, clock, BOB, SEATS[2:3])

    assert await _cancel_show(world, clock) == 1  # one order per batch here
    assert await cancel_orders_of_cancelled_shows(transaction=world.transaction, sync=world, clock=clock) == 1
    assert await cancel_orders_of_cancelled_shows(transaction=world.transaction, sync=world, clock=clock) == 0

    orders = world.state.orders
    assert orders[unpaid.order_id].status is S.CANCELLED and world.state.seats[SEATS[2]][0] == "available"
    assert orders[paid.order_id].status is S.REFUND_PENDING
    assert [(o, a) for _, o, a, _ in world.state.refund_requests] == [(paid.order_id, paid.total)]
    assert {t.status for t in world.state.tickets.values()} == {"void"}
    assert world.state.seats[SEATS[0]][0] == "sold"  # nothing is sold again for a cancelled show
    assert world.state.cancelled_shows[SHOW] is not None


async def test_a_refund_asked_for_once_the_show_is_cancelled_is_refused_as_the_cancellation_refunds_in_full(
    world: MemoryWorld, clock: TestClock
) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2])
    await pay(world, clock, order)
    async with world.transaction() as tx:
        await start_show_cancellation(tx, show_id=SHOW, organization_id="org", cancelled_at=clock.now())
        await tx.commit()

    with pytest.raises(OrderNotRefundable, match="The show is cancelled"):
        await request_refund(transaction=world.transaction, clock=clock, new_id=new_id, buyer=ANN,
                             order_id=order.order_id, ticket_ids=None, reason="cannot come")
    with pytest.raises(OrderNotFound):
        await request_refund(transaction=world.transaction, clock=clock, new_id=new_id, buyer=BOB,
                             order_id=order.order_id, ticket_ids=None, reason="not mine")
    assert world.state.buyer_requests == {} and world.state.refund_requests == []


async def test_a_payment_for_a_cancelled_show_is_refunded_and_sells_nothing(
    world: MemoryWorld, clock: TestClock
) -> None:
    order = await order_from(world, clock, ANN, SEATS[:2])
    await _start_cancellation(world, clock)
    await pay(world, clock, order)

    stored = world.state.orders[order.order_id]
    assert stored.status is S.REFUND_PENDING and stored.unseated
    assert [(o, a) for _, o, a, _ in world.state.refund_requests] == [(order.order_id, order.total)]
    assert world.state.tickets == {}
    assert [world.state.seats[s][0] for s in SEATS[:2]] == ["available", "available"]
    with pytest.raises(ShowNotSelling):
        await order_from(world, clock, BOB, SEATS[2:3])
