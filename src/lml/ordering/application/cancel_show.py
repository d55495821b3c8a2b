"""A cancelled show's orders: unpaid ones are cancelled (seats released, PaymentIntent cancelled),
paid ones are refunded in full through payments' outbox and their tickets voided.

The worker does it a bounded batch per transaction until no order is left, so a show with tens of
thousands of orders never holds one long transaction. Resumable and idempotent: each order is
recorded as handled in the transaction that handles it, and a refund is only ever asked for what is
still refundable, so a worker killed half-way leaves exactly the rest to the next one and no order
is refunded twice (payments derives Stripe's idempotency key from the order and the refund's number).
A payment that lands for a cancelled show afterwards is refunded by `settle_payments`."""

from __future__ import annotations

from datetime import datetime

from lml.ordering.application.ports import OrderingTransaction, SeatSync, TransactionFactory
from lml.ordering.application.release_orders import release_seats
from lml.ordering.domain.order import AWAITING_PAYMENT, Order, Refund
from lml.ordering.events import ShowCancelledForOrder
from lml.platform.clock import Clock

SHOW_CANCELLED_ACTOR = "system:show-cancelled"
SHOW_CANCELLED_REASON = "The show was cancelled"


async def start_show_cancellation(
    tx: OrderingTransaction, *, show_id: str, organization_id: str, cancelled_at: datetime
) -> bool:
    """The catalog cancelled the show (its `ShowCancelled`, delivered at least once), recorded in the
    caller's transaction: from then on no order is placed or sold for it, and the worker deals with
    the orders it has. False on a repeat."""
    return await tx.cancellations.start(show_id, organization_id, cancelled_at)


async def _handle(tx: OrderingTransaction, order: Order, clock: Clock) -> None:
    now = clock.now()
    if order.status in AWAITING_PAYMENT:
        await release_seats(tx, order.cancel(), actor=SHOW_CANCELLED_ACTOR, clock=clock)
        await tx.cancellations.handled(order, action="cancelled", at=now)
        return
    await tx.tickets.void_all(order.order_id, now)
    amount = order.refundable
    await tx.publish(ShowCancelledForOrder(order_id=order.order_id, organization_id=order.organization_id,
                                           show_id=order.show_id, refund_amount=amount))
    if amount == 0:
        await tx.cancellations.handled(order, action="refund_in_flight", at=now)
        return
    refund_id = await tx.refunds.request(order.order_id, amount, SHOW_CANCELLED_REASON)
    moved = order.request_refund(Refund(refund_id=refund_id, amount=amount, status="requested",
                                        reason=SHOW_CANCELLED_REASON))
    await tx.orders.save(moved, actor=SHOW_CANCELLED_ACTOR, at=now,
                         detail={"refund_id": refund_id, "amount": amount, "reason": SHOW_CANCELLED_REASON})
    await tx.cancellations.handled(order, action="refund_requested", at=now, refund_id=refund_id, amount=amount)


async def cancel_orders_of_cancelled_shows(
    *, transaction: TransactionFactory, sync: SeatSync, clock: Clock, limit: int = 100
) -> int:
    """One batch of at most `limit` orders, in one transaction; returns how many were handled. A
    cancellation with nothing left to handle is closed."""
    released: list[Order] = []
    async with transaction() as tx:
        order_ids = await tx.cancellations.next_orders(limit)
        for order_id in order_ids:
            order = await tx.orders.get(order_id, for_update=True)
            if order is None:  # orders are never deleted
                continue
            await _handle(tx, order, clock)
            if order.status in AWAITING_PAYMENT:
                released.append(order)
        if len(order_ids) < limit:
            await tx.cancellations.finish(clock.now())
        await tx.commit()
    for order in released:
        await sync.order_changed(order)
    return len(order_ids)
