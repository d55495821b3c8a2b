"""Ordering's handlers of outbox events, merged by the worker (src/lml/worker.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import dramatiq
import msgspec

from lml.catalog.events import ShowCancelled
from lml.ordering.application.cancel_show import start_show_cancellation
from lml.ordering.events import OrderPlaced, OrderReleased
from lml.ordering.infrastructure.actors import EXPIRE_ORDER_ACTOR, EXPIRY_MARGIN_MS
from lml.ordering.infrastructure.other_contexts import StripePayments
from lml.ordering.infrastructure.pg_transaction import PgOrderingTransaction
from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent
from lml.platform.resources import Resources

ORDER_PLACED = "ordering.OrderPlaced"
ORDER_RELEASED = "ordering.OrderReleased"
SHOW_CANCELLED = "catalog.ShowCancelled"
# (order id, delay in ms) → the order's expiry message is queued.
ScheduleExpiry = Callable[[str, int], Awaitable[None]]


async def send_expiry_message(order_id: str, delay_ms: int) -> None:
    """A delayed message to the `ordering_expire_order` actor on the process's Dramatiq broker."""
    message: dramatiq.Message[None] = dramatiq.Message(
        queue_name="default", actor_name=EXPIRE_ORDER_ACTOR, args=(order_id,), kwargs={}, options={})
    # The Redis broker's client is synchronous: keep it off the event loop.
    await asyncio.to_thread(dramatiq.get_broker().enqueue, message, delay=delay_ms)


def outbox_handlers(
    resources: Resources, *, schedule_expiry: ScheduleExpiry = send_expiry_message
) -> dict[str, list[Handler]]:
    payments = StripePayments(resources)

    async def schedule(event: OutboxEvent, _: UnitOfWork) -> None:
        placed = msgspec.convert(event.payload, OrderPlaced)
        delay = (placed.expires_at - resources.clock.now()).total_seconds() * 1000
        await schedule_expiry(placed.order_id, max(0, int(delay)) + EXPIRY_MARGIN_MS)

    async def cancel_payment_intent(event: OutboxEvent, _: UnitOfWork) -> None:
        # Stripe refuses to cancel a PaymentIntent that succeeded meanwhile: that is a late payment,
        # and its webhook takes the order from here. Unreachable: retried with backoff by the relay.
        await payments.cancel_intent(msgspec.convert(event.payload, OrderReleased).order_id)

    async def start_cancellation(event: OutboxEvent, uow: UnitOfWork) -> None:
        # The orders themselves are handled by the `ordering_cancel_show_orders` actor, in batches.
        cancelled = msgspec.convert(event.payload, ShowCancelled)
        await start_show_cancellation(PgOrderingTransaction(uow), show_id=cancelled.show_id,
                                      organization_id=cancelled.org_id, cancelled_at=cancelled.at)

    return {ORDER_PLACED: [schedule], ORDER_RELEASED: [cancel_payment_intent], SHOW_CANCELLED: [start_cancellation]}
