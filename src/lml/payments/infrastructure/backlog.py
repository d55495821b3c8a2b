"""Payments' backlog for the worker's `/metrics`: Stripe events received and not yet applied."""

from __future__ import annotations

from lml.payments.infrastructure.services import PaymentsServices
from lml.platform.backlog import Figure, queue_figures


async def stripe_inbox_backlog(payments: PaymentsServices) -> list[Figure]:
    async with payments.resources.db.unit_of_work() as uow:
        row = await (
            await uow.conn.execute(
                "SELECT (SELECT count(*) FROM payments.stripe_events WHERE status = 'pending') AS pending,"
                " (SELECT min(received_at) FROM payments.stripe_events WHERE status = 'pending') AS oldest,"
                " (SELECT count(*) FROM payments.stripe_events WHERE status = 'dead') AS dead"
            )
        ).fetchone()
    if row is None:
        raise RuntimeError("a SELECT without FROM returned no row")
    return queue_figures("stripe_inbox", "Stripe events", pending=row["pending"], oldest=row["oldest"],
                         dead=row["dead"], now=payments.clock.now())
