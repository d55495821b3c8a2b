"""Place an order from a hold, and (re)obtain the PaymentIntent an app confirms to pay it."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from lml.ordering.application.ports import Holds, Payments, PaymentView, SeatSync, TransactionFactory
from lml.ordering.domain.checkout import check_show_selling, order_lines, payment_deadline
from lml.ordering.domain.errors import HoldAlreadyOrdered, OrderNotFound, OrderNotPayable
from lml.ordering.domain.order import AWAITING_PAYMENT, Buyer, Order, OrderStatus
from lml.ordering.events import OrderPlaced
from lml.platform.clock import Clock
from lml.platform.domain.errors import NotFound, PreconditionFailed, Unavailable
from lml.platform.logging import get_logger

log = get_logger("lml.ordering")


class PlacedOrder(msgspec.Struct, frozen=True):
    order: Order
    # None when the payment provider could not be reached: the order stands, and
    # `POST /v1/orders/{order_id}/payment` gets its PaymentIntent later.
    payment: PaymentView | None


async def place_order(
    *,
    transaction: TransactionFactory,
    holds: Holds,
    payments: Payments,
    sync: SeatSync,
    clock: Clock,
    new_id: Callable[[], str],
    buyer: Buyer,
    hold_id: str,
    hold_token: str,
) -> PlacedOrder:
    owner = buyer.owner
    try:
        hold = await holds.verify(hold_id, hold_token, owner)
    except (NotFound, PreconditionFailed):
        # Once ordered, the hold is spent in Redis and only says "unknown hold": the buyer's order for
        # it is named instead. Another buyer's order is not: they get the hold's refusal as usual.
        async with transaction() as tx:
            existing = await tx.orders.order_for_hold(hold_id)
        if existing is not None and existing[1] == owner:
            raise HoldAlreadyOrdered(existing[0]) from None
        raise
    async with transaction() as tx:
        # The show's terms in the order's own transaction: one transaction per order, not two. They are
        # marked cancelled in the catalog's cancelling transaction, before ordering's cancellation starts;
        # an order committed as that happens is the cancellation's to close (or its payment's to refund).
        show = await tx.shows.terms(hold.show_id)
        check_show_selling(show.sale_status)
        now = clock.now()
        order = Order(
            order_id=new_id(),
            organization_id=show.organization_id,
            show_id=hold.show_id,
            hold_id=hold.hold_id,
            buyer=buyer,
            status=OrderStatus.PENDING_PAYMENT,
            currency=show.currency,
            lines=tuple(order_lines(hold.seats, hold.zones, show.tiers)),
            expires_at=payment_deadline(hold.expires_at, now),
            created_at=now,
            show_starts_at=show.starts_at,
            buyer_limit=show.max_seats_per_buyer,
        )
        # The order row first: a concurrent twin of this request waits on the hold id's unique
        # index and then fails with `HoldAlreadyOrdered`, rather than with a seat conflict.
        await tx.orders.add(order, actor=owner)
        reserved = await tx.seats.reserve(order, max_per_buyer=order.buyer_limit)
        await tx.publish(OrderPlaced(order_id=order.order_id, organization_id=order.organization_id,
                                     show_id=order.show_id, hold_id=order.hold_id, expires_at=order.expires_at))
        await tx.commit()
    await sync.order_changed(order, hold_id=hold.hold_id, change=reserved)
    try:
        payment = await payments.ensure_intent(order)
    except Unavailable:
        log.warning("payment_intent_deferred", order_id=order.order_id)
        payment = None
    return PlacedOrder(order, payment)


async def buyer_order(transaction: TransactionFactory, buyer: Buyer, order_id: str) -> Order:
    """The buyer's own order; anybody else's is "not found", never "forbidden"."""
    async with transaction() as tx:
        order = await tx.orders.get(order_id)
    if order is None or order.buyer.owner != buyer.owner:
        raise OrderNotFound()
    return order


async def visible_order(transaction: TransactionFactory, buyer: Buyer, order_id: str) -> Order:
    """An order the buyer may look at (`Buyer.may_see`: theirs, or for a guest who proved their email,
    any guest order of that email); any other is "not found". For reads: acting on an order (paying,
    cancelling, asking for a refund) stays with `buyer_order`, the session that placed it."""
    async with transaction() as tx:
        order = await tx.orders.get(order_id)
    if order is None or not buyer.may_see(order.buyer):
        raise OrderNotFound()
    return order


async def payment_for_order(
    *, transaction: TransactionFactory, payments: Payments, buyer: Buyer, order_id: str
) -> tuple[Order, PaymentView]:
    """The order's PaymentIntent, created now if order creation could not reach the provider.
    The provider keys it by order id and payments records it once: never two per order."""
    order = await buyer_order(transaction, buyer, order_id)
    if order.status not in AWAITING_PAYMENT:
        raise OrderNotPayable(order.status.value)
    return order, await payments.ensure_intent(order)
