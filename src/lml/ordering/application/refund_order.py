"""An operator refunds (part of) a paid order. The request is recorded with the order's change in
one transaction; payments calls Stripe from the outbox and reports back through `record_refund`."""

from __future__ import annotations

from lml.ordering.application.ports import TransactionFactory
from lml.ordering.domain.errors import OrderNotFound
from lml.ordering.domain.order import Order, Refund
from lml.platform.clock import Clock


async def refund_order(
    *, transaction: TransactionFactory, clock: Clock, operator: str, order_id: str, amount: int | None, reason: str
) -> Order:
    """`amount` None: all that is left. Idempotent for a full refund: asking again once everything
    is refunded or on its way back answers the order as it is. A partial refund repeated on purpose
    is a second refund, as long as the total stays within what was paid (Idempotency-Key guards
    against a client's retries)."""
    async with transaction() as tx:
        # The operator's transaction acts as their organization: another one's order is not found.
        order = await tx.orders.get(order_id, for_update=True)
        if order is None:
            raise OrderNotFound()
        if amount is None and order.refunds and order.refundable == 0:
            return order
        refund_amount = order.refund_amount(amount)
        refund_id = await tx.refunds.request(order_id, refund_amount, reason)
        moved = order.request_refund(Refund(refund_id=refund_id, amount=refund_amount, status="requested",
                                            reason=reason))
        await tx.orders.save(moved, actor=operator, at=clock.now(),
                             detail={"refund_id": refund_id, "amount": refund_amount, "reason": reason})
        await tx.commit()
    return moved.order
