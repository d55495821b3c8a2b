"""Ordering's background work, as plain async functions of ordering's services: the worker registers
them as Dramatiq actors (src/lml/worker.py), tests call them directly.

- `expire_order(ordering, order_id)`: the delayed message sent for each order when it is placed
  (outbox handler of `ordering.OrderPlaced`), due at the order's `expires_at`.
- `sweep_expired_orders(ordering)`: periodic backstop for lost or late messages (SKIP LOCKED, so
  several workers sweep side by side without waiting on each other or expiring one order twice).
- `cancel_show_orders(ordering)`: periodic; cancels or refunds the orders of cancelled shows, a
  batch per transaction (SKIP LOCKED too), until none is left.
"""

from __future__ import annotations

from lml.ordering.application.cancel_show import cancel_orders_of_cancelled_shows
from lml.ordering.application.release_orders import expire_due_orders
from lml.ordering.application.release_orders import expire_order as expire_one
from lml.ordering.infrastructure.services import OrderingServices

EXPIRE_ORDER_ACTOR = "ordering_expire_order"
SWEEP_EXPIRED_ORDERS_ACTOR = "ordering_sweep_expired_orders"
CANCEL_SHOW_ORDERS_ACTOR = "ordering_cancel_show_orders"
# Sent this long after the deadline, so that a clock a little behind never finds the order not due yet.
EXPIRY_MARGIN_MS = 1_000


async def expire_order(ordering: OrderingServices, order_id: str) -> bool:
    """True when this call expired the order; False when it was paid, cancelled, expired already or not due."""
    return await expire_one(transaction=ordering.transaction, sync=ordering.sync, clock=ordering.clock,
                            order_id=order_id)


async def sweep_expired_orders(ordering: OrderingServices, *, batch: int = 200) -> int:
    """Expire every due order, a batch per transaction; returns how many were expired."""
    total = 0
    while True:
        expired = await expire_due_orders(transaction=ordering.transaction, sync=ordering.sync,
                                          clock=ordering.clock, limit=batch)
        total += expired
        if expired < batch:
            return total


async def cancel_show_orders(ordering: OrderingServices, *, batch: int | None = None) -> int:
    """Handle every order left of cancelled shows, a batch per transaction (`LML_CANCELLATION_BATCH_SIZE`
    orders unless `batch` says otherwise); returns how many."""
    batch = batch or ordering.cancellation_batch_size
    total = 0
    while True:
        handled = await cancel_orders_of_cancelled_shows(
            transaction=ordering.transaction, sync=ordering.sync, clock=ordering.clock, limit=batch)
        total += handled
        if handled < batch:
            return total
