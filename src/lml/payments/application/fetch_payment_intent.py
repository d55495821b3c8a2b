"""An order's PaymentIntent as Stripe sees it now."""

from __future__ import annotations

import msgspec

from lml.payments.application.ports import PaymentGateway, UnitOfWorkFactory
from lml.payments.domain.payment import PaymentRecord, next_status


async def fetch_payment_intent(
    uows: UnitOfWorkFactory, gateway: PaymentGateway, *, order_id: str
) -> PaymentRecord | None:
    async with uows() as uow:
        record = await uow.intents.get(order_id)
    if record is None:
        return None
    pi = await gateway.retrieve_payment_intent(record.payment_intent_id)
    status = next_status(record.status, pi.status)
    if status != record.status:
        async with uows() as uow:
            await uow.intents.report_status(record.payment_intent_id, pi.status)
            await uow.commit()
    return msgspec.structs.replace(record, status=status)
