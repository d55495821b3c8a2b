"""Apply the stored Stripe events to orders: a batch of events per transaction, claimed with SKIP
LOCKED so that any number of workers share the inbox, each applied in a savepoint of its own so that
one event's failure undoes nothing of another's; failures are retried with backoff, then dead-lettered."""

from __future__ import annotations

import msgspec

from lml.payments.application.ports import PaymentsUnitOfWork, UnitOfWorkFactory
from lml.payments.domain.errors import MalformedWebhookEvent
from lml.payments.domain.inbox import MAX_ATTEMPTS, InboxEntry, InboxStatus, is_dead_after
from lml.payments.domain.payment import FINAL_REFUND_STATUSES, Refund, contradicts
from lml.payments.domain.stripe_events import (
    Outcome,
    PaymentFailed,
    PaymentSucceeded,
    RefundChanged,
    StripeEvent,
    outcomes_of,
)
from lml.platform.backoff import backoff
from lml.platform.clock import Clock
from lml.platform.domain.errors import NotFound
from lml.platform.ids import new_id
from lml.platform.logging import get_logger
from lml.platform.tracing.spans import continued, mark_failed

log = get_logger("lml.payments.inbox")

# Events claimed and applied in one transaction: one claim and one commit for them all, rather than
# for each. Few enough that the orders they lock are not held for long.
EVENTS_PER_TRANSACTION = 20


async def process_due_events(
    uows: UnitOfWorkFactory, *, clock: Clock, limit: int = 100, max_attempts: int = MAX_ATTEMPTS
) -> int:
    """Process due events until none is left or `limit` were taken; returns how many were taken."""
    taken = 0
    while taken < limit:
        wanted = min(EVENTS_PER_TRANSACTION, limit - taken)
        claimed = await process_next_events(uows, clock=clock, limit=wanted, max_attempts=max_attempts)
        taken += claimed
        if claimed < wanted:
            break
    return taken


async def process_next_events(
    uows: UnitOfWorkFactory, *, clock: Clock, limit: int, max_attempts: int = MAX_ATTEMPTS
) -> int:
    """Claim up to `limit` due events and apply them, oldest first; each order's change and its event's
    new state commit together. A crash before the commit leaves the events pending, to be applied again
    (ordering is idempotent). Returns how many were claimed."""
    async with uows() as uow:
        entries = await uow.inbox.claim_due(clock.now(), limit)
        for entry in entries:
            with continued(entry.trace_context, f"stripe event {entry.event_type}",
                           attributes={"lml.stripe.event_id": entry.event_id}):
                await _process(uow, entry, clock=clock, max_attempts=max_attempts)
        # Also when nothing was claimed: a read that commits keeps the connection's prepared statements.
        await uow.commit()
    return len(entries)


async def _process(uow: PaymentsUnitOfWork, entry: InboxEntry, *, clock: Clock, max_attempts: int) -> None:
    event = StripeEvent(id=entry.event_id, type=entry.event_type, payload=entry.payload)
    try:
        async with uow.savepoint():
            status, note = await _apply(uow, event)
    except Exception as exc:  # noqa: BLE001 - whatever went wrong is recorded, and retried unless final
        await _record_failure(uow, entry, exc, clock=clock, max_attempts=max_attempts)
    else:
        await uow.inbox.finish(entry.event_id, status=status, note=note, now=clock.now())


async def _record_failure(
    uow: PaymentsUnitOfWork, entry: InboxEntry, exc: Exception, *, clock: Clock, max_attempts: int
) -> None:
    attempts = entry.attempts + 1
    mark_failed(exc)
    # A payload we cannot read will not read better later.
    dead = isinstance(exc, MalformedWebhookEvent) or is_dead_after(attempts, max_attempts)
    log.warning(
        "stripe_event_failed", event_id=entry.event_id, event_type=entry.event_type,
        attempts=attempts, dead=dead, error=type(exc).__name__,
    )
    await uow.inbox.fail(
        entry.event_id,
        attempts=attempts,
        error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=clock.now() + backoff(attempts),
        dead=dead,
    )


async def _apply(uow: PaymentsUnitOfWork, event: StripeEvent) -> tuple[InboxStatus, str | None]:
    """Apply each outcome of the event; it is ignored when none of them concerns one of our orders."""
    outcomes = outcomes_of(event)
    if not outcomes:
        return "processed", "Nothing to apply: the charge lists no refunds (refund events carry them)"
    notes = []
    for outcome in outcomes:
        note = await _apply_outcome(uow, outcome)
        if note:
            notes.append(note)
    return ("ignored" if len(notes) == len(outcomes) else "processed"), "; ".join(notes) or None


async def _apply_outcome(uow: PaymentsUnitOfWork, outcome: Outcome) -> str | None:
    if isinstance(outcome, RefundChanged):
        return await _apply_refund(uow, outcome)
    pi = outcome.payment_intent
    record = await uow.intents.report_status(pi.id, pi.status)
    # Our record is the authority on which order a PaymentIntent pays. The metadata covers a
    # PaymentIntent whose recording was lost (a crash right after Stripe created it), if ordering
    # knows the order it names.
    if record is not None:
        await _tell_ordering(uow, outcome, record.order_id)
        return None
    if pi.order_id is None:
        return f"PaymentIntent {pi.id} is not for one of our orders"
    try:
        async with uow.savepoint():
            await _tell_ordering(uow, outcome, pi.order_id)
    except NotFound:
        # Another system sharing the Stripe account (a staging copy) uses the same metadata.
        return f"PaymentIntent {pi.id} names order {pi.order_id}, which does not exist here"
    return None


async def _tell_ordering(uow: PaymentsUnitOfWork, outcome: PaymentSucceeded | PaymentFailed, order_id: str) -> None:
    pi = outcome.payment_intent
    if isinstance(outcome, PaymentSucceeded):
        await uow.orders.record_payment_succeeded(
            order_id=order_id, payment_intent_id=pi.id, amount_received=pi.amount_received, currency=pi.currency
        )
    else:
        await uow.orders.record_payment_failed(order_id=order_id, payment_intent_id=pi.id, reason=outcome.reason)


async def _apply_refund(uow: PaymentsUnitOfWork, outcome: RefundChanged) -> str | None:
    reported = outcome.refund
    refund = await uow.refunds.by_stripe_id(reported.id)
    if refund is None and reported.our_refund_id:
        # Ours, but its event overtook the worker recording Stripe's id for it.
        refund = await uow.refunds.lock(reported.our_refund_id)
    if refund is None:
        refund = await _adopt(uow, outcome)
        if refund is None:
            return f"Refund {reported.id} is not for one of our PaymentIntents"
    elif contradicts(refund.status, reported.status):
        log.error("refund_outcome_changed", refund_id=refund.id, order_id=refund.order_id, recorded=refund.status,
                  reported=reported.status)
        return (f"Refund {reported.id} is {refund.status} here but Stripe now says {reported.status}: "
                "a person must reconcile the order's money")
    elif refund.status not in FINAL_REFUND_STATUSES:
        refund = msgspec.structs.replace(
            refund,
            status=reported.status,
            stripe_refund_id=reported.id,
            failure_reason=reported.failure_reason,
        )
        await uow.refunds.save(refund)
    await uow.orders.record_refund(
        order_id=refund.order_id, refund_id=refund.id, amount_refunded=reported.amount, status=refund.status,
        failure_reason=refund.failure_reason,
    )
    return None


async def _adopt(uow: PaymentsUnitOfWork, outcome: RefundChanged) -> Refund | None:
    """A refund made outside LML (the Stripe dashboard) of one of our PaymentIntents joins our records."""
    reported = outcome.refund
    record = await uow.intents.by_payment_intent(reported.payment_intent_id) if reported.payment_intent_id else None
    if record is None:
        return None
    await uow.intents.lock_order(record.order_id)
    earlier = await uow.refunds.for_order(record.order_id)
    refund = Refund(
        id=new_id(),
        order_id=record.order_id,
        seq=max((r.seq for r in earlier), default=0) + 1,
        payment_intent_id=record.payment_intent_id,
        amount=reported.amount,
        currency=reported.currency,
        reason="made outside LML",
        status=reported.status,
        stripe_refund_id=reported.id,
        failure_reason=reported.failure_reason,
    )
    await uow.refunds.add(refund)
    return refund
