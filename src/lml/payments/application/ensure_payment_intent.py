"""Create an order's PaymentIntent once, or return the one recorded for it."""

from __future__ import annotations

from lml.payments.application.ports import PaymentGateway, UnitOfWorkFactory
from lml.payments.domain.errors import PaymentIntentMismatch, PaymentProviderRejected
from lml.payments.domain.payment import PaymentRecord
from lml.platform.domain.errors import FieldError, InvalidInput


async def ensure_payment_intent(
    uows: UnitOfWorkFactory, gateway: PaymentGateway, *, order_id: str, show_id: str, amount: int, currency: str
) -> PaymentRecord:
    """Never two PaymentIntents for one order, without relying on Stripe's idempotency keys: callers
    for one order take turns (the order's lock is held across the Stripe call), and the first records
    what it created before the next one looks. Stripe's key (the order id) still covers the one gap
    left, a crash between Stripe's answer and our commit."""
    if amount <= 0:
        raise InvalidInput([FieldError("/amount", "must be a positive number of minor units")])
    async with uows() as uow:
        record = await uow.intents.locked(order_id, across_provider_call=True)
        if record is None:
            created = await gateway.create_payment_intent(
                amount=amount,
                currency=currency,
                metadata={"order_id": order_id, "show_id": show_id},
                idempotency_key=order_id,
            )
            if not created.client_secret:
                raise PaymentProviderRejected("The payment provider returned a PaymentIntent without a client secret")
            record = PaymentRecord(
                order_id=order_id,
                show_id=show_id,
                payment_intent_id=created.id,
                client_secret=created.client_secret,
                status=created.status,
                amount=created.amount,
                currency=created.currency,
            )
            await uow.intents.add(record)
            await uow.commit()
    if not record.matches(amount=amount, currency=currency):
        raise PaymentIntentMismatch(
            f"The order's PaymentIntent is for {record.amount} {record.currency}, not {amount} {currency.upper()}"
        )
    return record
