"""The OrderPayments port on ordering's facade, inside the caller's transaction."""

from __future__ import annotations

from lml.ordering import facade as ordering
from lml.platform.db import UnitOfWork


class OrderingFacade:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def record_payment_succeeded(
        self, *, order_id: str, payment_intent_id: str, amount_received: int, currency: str
    ) -> None:
        await ordering.record_payment_succeeded(
            self.uow, order_id=order_id, payment_intent_id=payment_intent_id,
            amount_received=amount_received, currency=currency,
        )

    async def record_payment_failed(self, *, order_id: str, payment_intent_id: str, reason: str) -> None:
        await ordering.record_payment_failed(self.uow, order_id=order_id, payment_intent_id=payment_intent_id,
                                             reason=reason)

    async def record_refund(
        self, *, order_id: str, refund_id: str, amount_refunded: int, status: str, failure_reason: str | None = None
    ) -> None:
        await ordering.record_refund(self.uow, order_id=order_id, refund_id=refund_id,
                                     amount_refunded=amount_refunded, status=status, failure_reason=failure_reason)

    async def orders_awaiting_payment(self, *, older_than_seconds: int, limit: int) -> list[str]:
        return await ordering.orders_awaiting_payment(self.uow, older_than_seconds=older_than_seconds, limit=limit)
