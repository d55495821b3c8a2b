"""Ordering's handlers of outbox events, merged into the one handler map by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from lml.catalog.events import ShowCancelled
from lml.ordering.application.cancel_show import start_show_cancellation
from lml.ordering.events import OrderPlaced, OrderReleased
from lml.ordering.infrastructure.actors import EXPIRY_MARGIN_MS
from lml.ordering.infrastructure.services import OrderingServices
from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent, OutsideTransaction

ORDER_PLACED = "ordering.OrderPlaced"
ORDER_RELEASED = "ordering.OrderReleased"
SHOW_CANCELLED = "catalog.ShowCancelled"
# (order id, delay in ms) → the order's expiry message is queued.
ScheduleExpiry = Callable[[str, int], Awaitable[None]]


def outbox_handlers(ordering: OrderingServices, *, schedule_expiry: ScheduleExpiry) -> dict[str, list[Handler]]:
    """`schedule_expiry` queues the delayed expiry message of a new order (the worker's broker)."""

    async def schedule(event: OutboxEvent) -> None:
        placed = msgspec.convert(event.payload, OrderPlaced)
        delay = (placed.expires_at - ordering.clock.now()).total_seconds() * 1000
        await schedule_expiry(placed.order_id, max(0, int(delay)) + EXPIRY_MARGIN_MS)

    async def cancel_payment_intent(event: OutboxEvent) -> None:
        # Stripe refuses to cancel a PaymentIntent that succeeded meanwhile: that is a late payment,
        # and its webhook takes the order from here. Unreachable: retried with backoff by the relay.
        await ordering.payments.cancel_intent(msgspec.convert(event.payload, OrderReleased).order_id)

    async def start_cancellation(event: OutboxEvent, uow: UnitOfWork) -> None:
        # The orders themselves are handled by the `ordering_cancel_show_orders` actor, in batches.
        cancelled = msgspec.convert(event.payload, ShowCancelled)
        await start_show_cancellation(ordering.transactions.within(uow), show_id=cancelled.show_id,
                                      organization_id=cancelled.org_id, cancelled_at=cancelled.at)

    # Scheduling an expiry and cancelling a PaymentIntent touch only the broker and Stripe: delivered in
    # the relay's batches, without a transaction each.
    return {ORDER_PLACED: [OutsideTransaction(schedule)], ORDER_RELEASED: [OutsideTransaction(cancel_payment_intent)],
            SHOW_CANCELLED: [start_cancellation]}
