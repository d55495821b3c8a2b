"""Send a requested refund to Stripe (the outbox handler of RefundRequested) and tell ordering."""

from __future__ import annotations

import msgspec

from lml.payments.application.ports import PaymentGateway, PaymentsUnitOfWork
from lml.payments.domain.errors import PaymentProviderRejected

# Stripe caps a metadata value at 500 characters.
_METADATA_MAX = 500


async def execute_refund(uow: PaymentsUnitOfWork, gateway: PaymentGateway, *, refund_id: str) -> None:
    """At least once, in effect once: a redelivered event finds the refund sent already; a refund
    whose sending crashed before our commit is found at Stripe by its metadata before any new one
    is made (the emulator ignores idempotency keys, and Stripe keeps them for 24 hours only).
    PaymentProviderUnavailable propagates: the outbox retries with backoff."""
    refund = await uow.refunds.lock(refund_id)
    if refund is None or refund.status != "requested":
        return
    try:
        sent = next(
            (r for r in await gateway.list_refunds(refund.payment_intent_id) if r.our_refund_id == refund.id), None
        )
        if sent is None:
            sent = await gateway.create_refund(
                payment_intent_id=refund.payment_intent_id,
                amount=refund.amount,
                metadata={"order_id": refund.order_id, "refund_id": refund.id, "reason": refund.reason[:_METADATA_MAX]},
                idempotency_key=refund.idempotency_key,
            )
    except PaymentProviderRejected as exc:
        # Retrying will not change Stripe's mind (more than is left to refund, a disputed charge): final.
        await uow.refunds.save(msgspec.structs.replace(refund, status="rejected", failure_reason=exc.detail))
        await uow.orders.record_refund(
            order_id=refund.order_id, refund_id=refund.id, amount_refunded=refund.amount, status="failed",
            failure_reason=exc.detail,
        )
        return
    refund = msgspec.structs.replace(
        refund, status=sent.status, stripe_refund_id=sent.id, failure_reason=sent.failure_reason
    )
    await uow.refunds.save(refund)
    await uow.orders.record_refund(
        order_id=refund.order_id, refund_id=refund.id, amount_refunded=sent.amount, status=sent.status,
        failure_reason=sent.failure_reason,
    )
