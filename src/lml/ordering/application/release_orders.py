"""Unpaid orders let their seats go: cancelled by the buyer, or expired at their deadline.

Both release the reserved seats in PostgreSQL in the transaction that moves the order, then catch
Redis up at once; the outbox (`OrderReleased`) cancels the PaymentIntent and repeats the Redis
follow-up in case this process dies first. A payment that lands a moment earlier wins: the order
row is locked and the transition is conditional, so an order paid first is never expired."""

from __future__ import annotations

from lml.ordering.application.place_order import buyer_order
from lml.ordering.application.ports import OrderingTransaction, SeatSync, TransactionFactory
from lml.ordering.domain.errors import OrderNotCancellable
from lml.ordering.domain.order import AWAITING_PAYMENT, Buyer, Moved, Order, OrderStatus
from lml.ordering.events import OrderReleased
from lml.platform.clock import Clock
from lml.platform.domain.errors import present

EXPIRY_ACTOR = "system:expiry"


async def release_seats(tx: OrderingTransaction, moved: Moved, *, actor: str, clock: Clock) -> None:
    """Apply a move that closes an unpaid order: its seats go back on sale, its PaymentIntent is
    cancelled after the commit (`OrderReleased`)."""
    order = moved.order
    await tx.orders.save(moved, actor=actor, at=clock.now())
    await tx.seats.release(order)
    await tx.publish(OrderReleased(order_id=order.order_id, organization_id=order.organization_id,
                                   show_id=order.show_id,
                                   reason="expired" if order.status is OrderStatus.EXPIRED else "cancelled"))


async def cancel_order(
    *, transaction: TransactionFactory, sync: SeatSync, clock: Clock, buyer: Buyer, order_id: str
) -> Order:
    """Cancelling twice answers the cancelled order again; a paid or expired order is refused."""
    await buyer_order(transaction, buyer, order_id)
    async with transaction() as tx:
        order = present(await tx.orders.get(order_id, for_update=True), "orders are never deleted")
        if order.status is OrderStatus.CANCELLED:
            return order
        if order.status not in AWAITING_PAYMENT:
            raise OrderNotCancellable(order.status.value)
        moved = order.cancel()
        await release_seats(tx, moved, actor=buyer.owner, clock=clock)
        await tx.commit()
    await sync.order_changed(moved.order)
    return moved.order


async def expire_order(*, transaction: TransactionFactory, sync: SeatSync, clock: Clock, order_id: str) -> bool:
    """Expire one order if it is still unpaid and due; False (and nothing changed) otherwise."""
    async with transaction() as tx:
        order = await tx.orders.get(order_id, for_update=True)
        if order is None or not order.is_due(clock.now()):
            return False
        moved = order.expire()
        await release_seats(tx, moved, actor=EXPIRY_ACTOR, clock=clock)
        await tx.commit()
    await sync.order_changed(moved.order)
    return True


async def expire_due_orders(
    *, transaction: TransactionFactory, sync: SeatSync, clock: Clock, limit: int = 200
) -> int:
    """The sweeper: expire a batch of due orders, skipping those another worker (or a payment)
    has locked right now; they are looked at again on the next sweep."""
    expired: list[Order] = []
    async with transaction() as tx:
        for order_id in await tx.orders.due_for_expiry(clock.now(), limit):
            order = await tx.orders.get(order_id, for_update=True)
            if order is None or not order.is_due(clock.now()):
                continue
            moved = order.expire()
            await release_seats(tx, moved, actor=EXPIRY_ACTOR, clock=clock)
            expired.append(moved.order)
        await tx.commit()
    for order in expired:
        await sync.order_changed(order)
    return len(expired)
