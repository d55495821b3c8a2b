"""Cancel an order's PaymentIntent (an expired or cancelled order); idempotent.

Stripe refuses to cancel a PaymentIntent that has moved on. One that succeeded meanwhile is a
payment ordering has not heard of when its webhook was lost: it goes into the inbox as the event
that webhook would have carried (the same one reconciliation would make), so that ordering applies
it as a late payment. One still processing is tried again later."""

from __future__ import annotations

from lml.payments.application.ports import PaymentGateway, UnitOfWorkFactory
from lml.payments.domain.errors import PaymentProviderRejected, PaymentStillProcessing
from lml.payments.domain.payment import TERMINAL_STATUSES
from lml.payments.domain.stripe_events import reconciliation_event
from lml.platform.logging import get_logger

log = get_logger("lml.payments")


async def cancel_payment_intent(uows: UnitOfWorkFactory, gateway: PaymentGateway, *, order_id: str) -> None:
    async with uows() as uow:
        # Waits for a creation in flight, so that the PaymentIntent it makes is the one cancelled.
        record = await uow.intents.locked(order_id, across_provider_call=True)
        if record is None or record.status in TERMINAL_STATUSES:
            return
        try:
            pi = await gateway.cancel_payment_intent(record.payment_intent_id)
        except PaymentProviderRejected:
            pi = await gateway.retrieve_payment_intent(record.payment_intent_id)
            if pi.status == "processing":
                raise PaymentStillProcessing(detail=f"PaymentIntent {pi.id} is still processing") from None
            if pi.status not in TERMINAL_STATUSES:
                raise
        await uow.intents.report_status(pi.id, pi.status)
        event = reconciliation_event(pi) if pi.status == "succeeded" else None
        if event is not None and await uow.inbox.add(event, source="reconciliation", status="pending", note=None):
            log.info("payment_found_at_cancellation", order_id=order_id, payment_intent_id=pi.id)
        await uow.commit()
