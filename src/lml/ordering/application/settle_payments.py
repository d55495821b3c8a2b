"""What payments tells ordering, applied inside the payments worker's transaction (never committed
here): a payment succeeded or failed, a refund moved. Each is idempotent: the order row is locked,
the domain decides from its current state, and a duplicate or stale message changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from lml.ordering.application.cancel_show import SHOW_CANCELLED_REASON
from lml.ordering.application.ports import OrderingTransaction
from lml.ordering.application.release_orders import release_seats
from lml.ordering.domain.errors import OrderNotFound, SeatsTaken
from lml.ordering.domain.order import (
    AWAITING_PAYMENT,
    CLOSED_UNPAID,
    MONEY_RECEIVED,
    Order,
    OrderStatus,
    Payment,
    Refund,
    RefundStatus,
)
from lml.ordering.domain.tickets import tickets_for
from lml.ordering.events import OrderPaid, OrderRefunded, PaymentFailed, RefundSucceeded
from lml.platform.clock import Clock
from lml.platform.domain.buyer_limit import BuyerLimitExceeded
from lml.platform.logging import get_logger

PAYMENTS_ACTOR = "system:payments"
LATE_REFUND_REASON = "late payment: the order had expired and its seats were sold meanwhile"
OVER_LIMIT_REFUND_REASON = "late payment: the order had expired and the buyer has reached the show's limit meanwhile"

log = get_logger("lml.ordering")


async def _locked(tx: OrderingTransaction, order_id: str) -> Order:
    order = await tx.orders.get(order_id, for_update=True)
    if order is None:
        raise OrderNotFound(f"No order {order_id}")
    return order


async def _why_seats_not_taken_back(tx: OrderingTransaction, order: Order) -> str | None:
    """A late payment's order reserves its released seats again if they are all still free and the
    buyer stays within the show's limit; else why not (the reason its money goes back)."""
    try:
        async with tx.savepoint():
            await tx.seats.reserve(order, max_per_buyer=order.buyer_limit)
    except SeatsTaken:
        return LATE_REFUND_REASON
    except BuyerLimitExceeded:
        return OVER_LIMIT_REFUND_REASON
    return None


async def record_payment_succeeded(
    tx: OrderingTransaction, *, clock: Clock, new_id: Callable[[], str], order_id: str, payment: Payment
) -> None:
    found = await tx.orders.locked_with_show_cancelled(order_id)
    if found is None:
        raise OrderNotFound(f"No order {order_id}")
    order, show_cancelled = found
    if order.status in MONEY_RECEIVED:
        if order.payment_intent_id != payment.payment_intent_id:
            log.error("second_payment_for_order", order_id=order_id, payment_intent_id=payment.payment_intent_id)
        return
    now = clock.now()
    detail = {"payment_intent_id": payment.payment_intent_id, "amount": payment.amount}
    if show_cancelled and order.status in AWAITING_PAYMENT:
        # Paid as (or after) its show was cancelled: the order closes unpaid, and the money goes back below.
        moved = order.cancel()
        await release_seats(tx, moved, actor=PAYMENTS_ACTOR, clock=clock)
        order = moved.order
    # A refund reported before this success (events out of order) may already cover all of it.
    covered = order.amount_refunded >= payment.amount
    refused = None
    if order.status in CLOSED_UNPAID and not covered:
        refused = SHOW_CANCELLED_REASON if show_cancelled else await _why_seats_not_taken_back(tx, order)
    if refused is not None:
        reason = refused
        owed = order.late_refund_owed()
        refund_id = await tx.refunds.request(order_id, owed, reason)
        moved = order.refund_owed(payment, Refund(refund_id=refund_id, amount=owed, status="requested",
                                                  reason=reason), now)
        await tx.orders.save(moved, actor=PAYMENTS_ACTOR, at=now, detail={**detail, "refund_id": refund_id})
        return
    seats_reserved = order.status in AWAITING_PAYMENT or not covered
    moved = order.pay(payment, now)
    await tx.orders.save(moved, actor=PAYMENTS_ACTOR, at=now, detail=detail)
    order = moved.order
    if order.refunds:
        moved = order.settle_refunds()
        await tx.orders.save(moved, actor=PAYMENTS_ACTOR, at=now)
        order = moved.order
    if order.status is OrderStatus.REFUNDED:
        if seats_reserved:
            await tx.seats.release(order)
        await tx.publish(OrderRefunded(order_id=order.order_id, organization_id=order.organization_id,
                                       show_id=order.show_id, amount_refunded=order.amount_refunded,
                                       seats_returned=seats_reserved))
        return
    await tx.seats.sell(order)
    await tx.tickets.issue(tickets_for(order, new_id), order.organization_id, now)
    await tx.publish(OrderPaid(order_id=order.order_id, organization_id=order.organization_id,
                               show_id=order.show_id, total=order.total, currency=order.currency))


async def record_payment_failed(tx: OrderingTransaction, *, clock: Clock, order_id: str, reason: str) -> None:
    """The buyer may try again until the order expires: its seats stay reserved. A failure reported
    after the order was paid, expired or cancelled is stale and ignored."""
    order = await _locked(tx, order_id)
    if order.status not in AWAITING_PAYMENT or order.failure_reason == reason[:500]:
        return
    await tx.orders.save(order.fail_payment(reason), actor=PAYMENTS_ACTOR, at=clock.now(), detail={"reason": reason})
    await tx.publish(PaymentFailed(order_id=order_id, organization_id=order.organization_id, show_id=order.show_id,
                                   reason=reason[:500], pay_before=order.expires_at))


async def record_refund(
    tx: OrderingTransaction, *, clock: Clock, order_id: str, refund_id: str, amount: int, status: RefundStatus,
    failure_reason: str | None = None, actor: str = PAYMENTS_ACTOR,
) -> None:
    """A refund's news. Once all the money is back every ticket is void; a refund that gives some
    tickets back voids those once it succeeds. Their seats go back on sale if the show has not started
    (and is not cancelled)."""
    order = await _locked(tx, order_id)
    moved = order.record_refund(refund_id, amount, status, failure_reason)
    if moved is None:
        return
    now = clock.now()
    await tx.orders.save(moved, actor=actor, at=now, detail={"refund_id": refund_id, "amount": amount,
                                                             "refund_status": status})
    refunded = moved.order
    all_back = moved.transition.to_status is OrderStatus.REFUNDED and order.status is not OrderStatus.REFUNDED
    [settled] = moved.changed_refunds
    if settled.succeeded:
        await tx.publish(RefundSucceeded(order_id=order_id, organization_id=refunded.organization_id,
                                         show_id=refunded.show_id, refund_id=refund_id, amount=settled.amount,
                                         remaining=max(0, refunded.amount_paid - refunded.amount_refunded),
                                         currency=refunded.currency))
    some_back = settled.succeeded and bool(settled.ticket_ids)
    if not (all_back or some_back):
        return
    places_back = (now < refunded.show_starts_at and not refunded.unseated
                   and not await tx.cancellations.covers(refunded.show_id))
    if all_back:
        await tx.tickets.void_all(order_id, now)
        if places_back:
            await tx.seats.return_to_sale(refunded)
        await tx.publish(OrderRefunded(order_id=order_id, organization_id=refunded.organization_id,
                                       show_id=refunded.show_id, amount_refunded=refunded.amount_refunded,
                                       seats_returned=places_back))
        return
    given_back = [t for t in await tx.tickets.of_order(order_id)
                  if t.ticket_id in settled.ticket_ids and t.status == "valid"]
    await tx.tickets.void(order_id, [t.ticket_id for t in given_back], now)
    if places_back:
        await tx.seats.return_places(refunded, given_back)
