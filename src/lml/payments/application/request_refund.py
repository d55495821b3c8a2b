"""Record a refund of an order's payment; the worker sends it to Stripe (see execute_refund)."""

from __future__ import annotations

from lml.payments.application.ports import PaymentsUnitOfWork
from lml.payments.domain.errors import NoPaymentToRefund
from lml.payments.domain.payment import Refund, check_refund_amount
from lml.payments.events import RefundRequested


async def request_refund(
    uow: PaymentsUnitOfWork, *, refund_id: str, order_id: str, amount: int, reason: str
) -> Refund:
    """In the caller's transaction: the refund row and its outbox event commit with the caller's change."""
    # Refunds of one order are numbered one after another: the number is part of Stripe's idempotency key.
    await uow.intents.lock_order(order_id)
    record = await uow.intents.get(order_id)
    if record is None:
        raise NoPaymentToRefund(f"Order {order_id} has no PaymentIntent")
    earlier = await uow.refunds.for_order(order_id)
    check_refund_amount(amount, paid=record.amount, refunds=earlier)
    refund = Refund(
        id=refund_id,
        order_id=order_id,
        seq=max((r.seq for r in earlier), default=0) + 1,
        payment_intent_id=record.payment_intent_id,
        amount=amount,
        currency=record.currency,
        reason=reason,
    )
    await uow.refunds.add(refund)
    await uow.publish(
        RefundRequested(refund_id=refund.id, order_id=order_id, amount=amount, currency=refund.currency)
    )
    return refund
