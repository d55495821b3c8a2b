"""What other contexts may call on ordering: an `OrderingFacade`, built by the composition root over
ordering's services.

Payments calls these from its worker INSIDE its own unit of work, which it commits: the order's
change, the seats sold, the tickets issued, the refund requested and the outbox events all commit
together with payments' own bookkeeping, or not at all. Each call locks the order's row and decides
from its current state, so a duplicate or stale message changes nothing and two workers never both
apply one change. None of them commits. (Payments does not import this module: it defines the port
it needs, and the composition root plugs this facade into it.)
"""

from __future__ import annotations

from datetime import timedelta

from lml.ordering.application import settle_payments
from lml.ordering.domain.order import REFUND_STATUSES, Payment, RefundStatus
from lml.ordering.infrastructure.order_details import (
    OrderContact,
    OrderDetails,
    PlaceDetails,
    order_contact,
    order_details,
    ticket_holders,
)
from lml.ordering.infrastructure.services import OrderingServices
from lml.platform.db import UnitOfWork
from lml.platform.ids import new_id

__all__ = ["OrderContact", "OrderDetails", "OrderingFacade", "OrderingServices", "PlaceDetails"]


class OrderingFacade:
    def __init__(self, services: OrderingServices) -> None:
        self._services = services

    async def record_payment_succeeded(
        self, uow: UnitOfWork, *, order_id: str, payment_intent_id: str, amount_received: int, currency: str
    ) -> None:
        """`pending_payment | payment_failed → paid`: seats sold, tickets issued, audit, `OrderPaid`.
        After expiry or cancellation (a late payment): the same seats reserved again if they are still
        free and the buyer stays within the show's limit, then paid as above, else the order owes the
        money back (`refund_pending`, refund requested through payments). For a cancelled show the money
        goes back. A duplicate is a no-op. Raises `OrderNotFound` for an unknown order and
        `PaymentMismatch` (left for a person: dead letter) when the amount or currency is not the order's."""
        await settle_payments.record_payment_succeeded(
            self._services.transactions.within(uow), clock=self._services.clock, new_id=new_id, order_id=order_id,
            payment=Payment(payment_intent_id=payment_intent_id, amount=amount_received, currency=currency),
        )

    async def record_payment_failed(
        self, uow: UnitOfWork, *, order_id: str, payment_intent_id: str, reason: str
    ) -> None:
        """`pending_payment → payment_failed` with the reason; the seats stay reserved until the order
        expires, so the buyer can retry. Stale (the order is paid, expired or cancelled): ignored."""
        await settle_payments.record_payment_failed(self._services.transactions.within(uow),
                                                    clock=self._services.clock, order_id=order_id, reason=reason)

    async def record_refund(
        self, uow: UnitOfWork, *, order_id: str, refund_id: str, amount_refunded: int, status: str,
        failure_reason: str | None = None,
    ) -> None:
        """One refund's news: `refund_id` is the id payments' `request_refund` returned for a refund
        ordering asked for (or payments' own id for one made elsewhere), `amount_refunded` THIS refund's
        amount (not the charge's running total), `status` Stripe's refund status (`rejected` counts as
        failed; `failure_reason` says why, for the operator). Paid orders follow: refund_pending /
        partially_refunded / refunded (tickets void, seats back on sale before the show unless it was
        cancelled). A refund reported before the payment is kept and applied when the payment arrives.
        Repeats and stale reports change nothing."""
        await settle_payments.record_refund(self._services.transactions.within(uow), clock=self._services.clock,
                                            order_id=order_id, refund_id=refund_id, amount=amount_refunded,
                                            status=_refund_status(status), failure_reason=failure_reason)

    async def orders_awaiting_payment(self, uow: UnitOfWork, *, older_than_seconds: int, limit: int) -> list[str]:
        """Ids of orders still awaiting payment that were placed more than `older_than_seconds` ago,
        oldest first (for reconciliation with Stripe)."""
        created_before = self._services.clock.now() - timedelta(seconds=older_than_seconds)
        return await self._services.transactions.within(uow).orders.awaiting_payment(created_before, limit)

    # Reads for the buyer's mail (notifications)

    async def order_details(self, order_id: str) -> OrderDetails | None:
        """The order's places at their prices, with each valid ticket's code and QR payload once it
        is paid; None for an unknown order."""
        return await order_details(self._services.resources.db, self._services.ticket_key, order_id)

    async def order_contact(self, order_id: str, uow: UnitOfWork | None = None) -> OrderContact | None:
        """Whom the order's mail goes to (its buyer's email and phone); None for an unknown order.
        Read in `uow` when given, else in a read of its own."""
        return await order_contact(self._services.resources.db, order_id, uow)

    async def ticket_holders(self, show_id: str, *, after: str | None, limit: int) -> list[str]:
        """Emails of the buyers holding a valid ticket for the show: lower case, each once, in order,
        those after `after` (a page of at most `limit`)."""
        return await ticket_holders(self._services.resources.db, show_id, after=after, limit=limit)


def _refund_status(status: str) -> RefundStatus:
    if status == "rejected":
        return "failed"
    # An unknown status is taken as "not settled yet": the order stays refund_pending, nothing is voided.
    return status if status in REFUND_STATUSES else "pending"  # type: ignore[return-value]
