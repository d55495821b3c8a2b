"""Payments' background work, as plain async functions of payments' services: the worker registers
them as Dramatiq actors (src/lml/worker.py), tests call them directly."""

from __future__ import annotations

from prometheus_client import Counter

from lml.payments.application.process_events import process_due_events
from lml.payments.application.reconcile import ReconciliationReport, reconcile_payments
from lml.payments.domain.inbox import MAX_ATTEMPTS
from lml.payments.infrastructure.services import PaymentsServices

# Events taken by one call; the worker calls again while a call comes back full.
BATCH = 200
# Reconciliation leaves a buyer this long to pay before it asks Stripe about the order.
RECONCILE_AFTER_SECONDS = 120

RECONCILIATION_FAILURES = Counter(
    "lml_payments_reconciliation_failures", "Orders whose PaymentIntent could not be reconciled with Stripe")


async def process_stripe_events(
    payments: PaymentsServices, *, limit: int = BATCH, max_attempts: int = MAX_ATTEMPTS
) -> int:
    """Apply the due events of the inbox; returns how many were taken."""
    return await process_due_events(payments.uows, clock=payments.clock, limit=limit, max_attempts=max_attempts)


async def reconcile_stripe_payments(
    payments: PaymentsServices, *, older_than_seconds: int = RECONCILE_AFTER_SECONDS, limit: int = 100
) -> ReconciliationReport:
    """Queue what Stripe says about orders stuck awaiting payment (applied by process_stripe_events)."""
    report = await reconcile_payments(payments.uows, payments.gateway, older_than_seconds=older_than_seconds,
                                      limit=limit)
    RECONCILIATION_FAILURES.inc(report.failed)
    return report
