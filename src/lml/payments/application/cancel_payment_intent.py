"""Cancel an order's PaymentIntent (an expired or cancelled order); idempotent."""

from __future__ import annotations

from lml.payments.application.ports import PaymentGateway, UnitOfWorkFactory
from lml.payments.domain.errors import PaymentProviderRejected
from lml.payments.domain.payment import TERMINAL_STATUSES, next_status


async def cancel_payment_intent(uows: UnitOfWorkFactory, gateway: PaymentGateway, *, order_id: str) -> None:
    async with uows() as uow:
        # Waits for a creation in flight, so that the PaymentIntent it makes is the one cancelled.
        await uow.intents.lock_order(order_id, across_provider_call=True)
        record = await uow.intents.get(order_id)
        if record is None or record.status in TERMINAL_STATUSES:
            return
        try:
            pi = await gateway.cancel_payment_intent(record.payment_intent_id)
        except PaymentProviderRejected:
            # Stripe refuses once the PaymentIntent has moved on: cancelled already, or paid meanwhile
            # (its success event then takes the late-payment path in ordering).
            pi = await gateway.retrieve_payment_intent(record.payment_intent_id)
            if pi.status not in TERMINAL_STATUSES | {"processing"}:
                raise
        await uow.intents.set_status(pi.id, next_status(record.status, pi.status))
        await uow.commit()
