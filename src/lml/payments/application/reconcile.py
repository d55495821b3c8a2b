"""Reconciliation: a lost webhook never strands a paid buyer. Orders still awaiting payment past a
threshold have their PaymentIntent fetched from Stripe; what Stripe says goes into the inbox as the
event the webhook would have carried, and is applied by the same code as a webhook."""

from __future__ import annotations

import msgspec

from lml.payments.application.ports import PaymentGateway, UnitOfWorkFactory
from lml.payments.domain.errors import PaymentProviderUnavailable
from lml.payments.domain.payment import PaymentRecord
from lml.payments.domain.stripe_events import reconciliation_event
from lml.platform.logging import get_logger

log = get_logger("lml.payments.reconcile")


class ReconciliationReport(msgspec.Struct, frozen=True):
    checked: int  # orders whose PaymentIntent was fetched
    queued: int  # events added to the inbox
    failed: int = 0  # orders that could not be reconciled (logged one by one); the others went on
    unreachable: bool = False  # Stripe could not be reached: the rest waits for the next run


async def reconcile_payments(
    uows: UnitOfWorkFactory, gateway: PaymentGateway, *, older_than_seconds: int, limit: int
) -> ReconciliationReport:
    async with uows() as uow:
        order_ids = await uow.orders.orders_awaiting_payment(older_than_seconds=older_than_seconds, limit=limit)
        records = [record for order_id in order_ids if (record := await uow.intents.get(order_id))]
    checked = queued = failed = 0
    for record in records:
        try:
            queued += await _reconcile_one(uows, gateway, record)
        except PaymentProviderUnavailable:
            log.warning("reconciliation_stopped", reason="stripe_unreachable", checked=checked)
            return ReconciliationReport(checked=checked, queued=queued, failed=failed, unreachable=True)
        except Exception as exc:  # noqa: BLE001 - one order's trouble must not strand every order after it
            failed += 1
            log.error("reconciliation_failed", order_id=record.order_id, payment_intent_id=record.payment_intent_id,
                      error=type(exc).__name__)
            continue
        checked += 1
    return ReconciliationReport(checked=checked, queued=queued, failed=failed)


async def _reconcile_one(uows: UnitOfWorkFactory, gateway: PaymentGateway, record: PaymentRecord) -> int:
    pi = await gateway.retrieve_payment_intent(record.payment_intent_id)
    event = reconciliation_event(pi)
    if event is None:
        return 0
    async with uows() as uow:
        stored = await uow.inbox.add(event, source="reconciliation", status="pending", note=None)
        await uow.commit()
    if stored:
        log.info("reconciliation_found", event_type=event.type, payment_intent_id=pi.id, order_id=record.order_id)
    return int(stored)
