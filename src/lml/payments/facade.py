"""What other contexts may call on payments (which owns Stripe: nobody else imports it): a
`PaymentsFacade`, built by the composition root over payments' services."""

from __future__ import annotations

import msgspec

from lml.payments.application import cancel_payment_intent as cancelling
from lml.payments.application import ensure_payment_intent as ensuring
from lml.payments.application import fetch_payment_intent as fetching
from lml.payments.application import request_refund as refunding
from lml.payments.domain.errors import PaymentProviderUnavailable
from lml.payments.domain.payment import PaymentRecord
from lml.payments.infrastructure.services import PaymentsServices
from lml.payments.infrastructure.unit_of_work import PgPaymentsUnitOfWork
from lml.platform.db import UnitOfWork
from lml.platform.ids import new_id

__all__ = [
    "PaymentIntentView",
    "PaymentProviderUnavailable",
    "PaymentsFacade",
    "PaymentsServices",
]


class PaymentIntentView(msgspec.Struct, frozen=True):
    payment_intent_id: str
    client_secret: str
    status: str  # Stripe's PaymentIntent status
    amount: int  # minor units
    currency: str  # ISO 4217, upper case

    @classmethod
    def of(cls, record: PaymentRecord) -> PaymentIntentView:
        return cls(record.payment_intent_id, record.client_secret, record.status, record.amount, record.currency)


class PaymentsFacade:
    def __init__(self, services: PaymentsServices) -> None:
        self._services = services

    async def ensure_payment_intent(
        self, *, order_id: str, show_id: str, amount: int, currency: str
    ) -> PaymentIntentView:
        """The order's PaymentIntent, created once (idempotency key = order id, metadata {order_id,
        show_id}) or the one already recorded. Raises PaymentProviderUnavailable (503) when Stripe cannot
        be reached."""
        record = await ensuring.ensure_payment_intent(
            self._services.own_uows, self._services.gateway, order_id=order_id, show_id=show_id, amount=amount,
            currency=currency)
        return PaymentIntentView.of(record)

    async def cancel_payment_intent(self, *, order_id: str) -> None:
        """Idempotent; an order without a PaymentIntent is a no-op. Raises PaymentProviderUnavailable."""
        await cancelling.cancel_payment_intent(self._services.own_uows, self._services.gateway, order_id=order_id)

    async def request_refund(self, uow: UnitOfWork, *, order_id: str, amount: int, reason: str) -> str:
        """Record a refund in the caller's transaction (with its outbox event); the worker sends it to
        Stripe with the idempotency key `refund:{order_id}:{n}`. Returns our refund id, the one the
        refund's news is later reported to ordering with."""
        refund = await refunding.request_refund(
            PgPaymentsUnitOfWork(uow), refund_id=new_id(), order_id=order_id, amount=amount, reason=reason)
        return refund.id

    async def fetch_payment_intent(self, *, order_id: str) -> PaymentIntentView | None:
        """What Stripe says now about the order's PaymentIntent; None if the order has none."""
        record = await fetching.fetch_payment_intent(self._services.own_uows, self._services.gateway,
                                                     order_id=order_id)
        return PaymentIntentView.of(record) if record else None
