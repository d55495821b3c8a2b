"""Payments' handlers of outbox events, merged into the one handler map by the composition root."""

from __future__ import annotations

import msgspec

from lml.payments.application.execute_refund import execute_refund
from lml.payments.events import RefundRequested
from lml.payments.infrastructure.services import PaymentsServices
from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent

REFUND_REQUESTED = "payments.RefundRequested"


def outbox_handlers(payments: PaymentsServices) -> dict[str, list[Handler]]:
    async def send_refund(event: OutboxEvent, uow: UnitOfWork) -> None:
        requested = msgspec.convert(event.payload, RefundRequested)
        await execute_refund(payments.within(uow), payments.gateway, refund_id=requested.refund_id)

    return {REFUND_REQUESTED: [send_refund]}
