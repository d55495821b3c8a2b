"""Payments' handlers of outbox events, merged by the worker (src/lml/worker.py)."""

from __future__ import annotations

import msgspec

from lml.payments.application.execute_refund import execute_refund
from lml.payments.events import RefundRequested
from lml.payments.infrastructure.ordering_port import OrderingFacade
from lml.payments.infrastructure.stripe_gateway import gateway_for
from lml.payments.infrastructure.unit_of_work import OrdersFactory, PgPaymentsUnitOfWork
from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent
from lml.platform.resources import Resources

REFUND_REQUESTED = "payments.RefundRequested"


def outbox_handlers(resources: Resources, *, orders: OrdersFactory = OrderingFacade) -> dict[str, list[Handler]]:
    async def send_refund(event: OutboxEvent, uow: UnitOfWork) -> None:
        requested = msgspec.convert(event.payload, RefundRequested)
        payments = PgPaymentsUnitOfWork(uow, orders(uow))
        await execute_refund(payments, gateway_for(resources), refund_id=requested.refund_id)

    return {REFUND_REQUESTED: [send_refund]}
