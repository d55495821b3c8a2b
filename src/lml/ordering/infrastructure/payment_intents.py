"""Ordering's Payments port on payments' facade: an order's PaymentIntent, created once, and
cancelled when the order closes unpaid."""

from __future__ import annotations

from lml.ordering.application.ports import PaymentView
from lml.ordering.domain.order import Order
from lml.payments.facade import PaymentsFacade


class PaymentIntents:
    def __init__(self, payments: PaymentsFacade) -> None:
        self._payments = payments

    async def ensure_intent(self, order: Order) -> PaymentView:
        view = await self._payments.ensure_payment_intent(order_id=order.order_id, show_id=order.show_id,
                                                          amount=order.total, currency=order.currency)
        return PaymentView(payment_intent_id=view.payment_intent_id, client_secret=view.client_secret,
                           status=view.status)

    async def cancel_intent(self, order_id: str) -> None:
        await self._payments.cancel_payment_intent(order_id=order_id)
