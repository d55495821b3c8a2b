"""Ordering's transaction port on either implementation, for the contracts that run one body on both:
the in-memory world the unit tests use (`MemoryWorld`) and PostgreSQL through the composition root's
own `container.ordering` (seats through seating's facade, refunds through payments'). The fixtures
that hand them out are in this folder's conftest.py."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lml.ordering.application.ports import OrderingTransaction, Payments, TransactionFactory
from lml.ordering.application.testing import MemoryWorld
from lml.ordering.domain.order import Buyer, Order, OrderLine, OrderStatus
from lml.platform.ids import new_id

ANN = Buyer(kind="user", subject="ann", email="ann@example.com", name="Ann")
BOB = Buyer(kind="guest", subject="bob", email="bob@example.com")
NOW = datetime.now(UTC).replace(microsecond=0)
ZONE = "floor"
ZONE_CAPACITY = 4


@dataclass(frozen=True)
class Ordering:
    """One implementation of ordering's ports, and a show on sale there with 6 seats and 4 GA places."""

    transaction: TransactionFactory
    payments: Payments
    show_id: str
    organization_id: str
    seat_ids: list[str]
    # Whether some transaction waits for a row another one locked (so a race test may let the holder go).
    someone_waits: Callable[[], bool | Awaitable[bool]]

    def order(
        self, buyer: Buyer = ANN, *, seats: list[str] | None = None, ga: int = 0, zone: str = ZONE,
        show_id: str | None = None, created_at: datetime = NOW, expires_at: datetime = NOW + timedelta(minutes=10),
    ) -> Order:
        """A new order awaiting payment for `seats` (the show's first two by default) and `ga` places
        of `zone`."""
        lines = [OrderLine(tier_id="standard", tier_name="Standard", unit_price=8000, unit_fee=150, seat_id=seat,
                           seat_label=f"A-1-{n}") for n, seat in enumerate(self.seat_ids[:2] if seats is None
                                                                             else seats, start=1)]
        if ga:
            lines.append(OrderLine(tier_id="ga", tier_name="Ga", unit_price=4500, unit_fee=0, quantity=ga,
                                   zone_id=zone))
        return Order(order_id=new_id(), organization_id=self.organization_id, show_id=show_id or self.show_id,
                     hold_id=new_id(), buyer=buyer, status=OrderStatus.PENDING_PAYMENT, currency="USD",
                     lines=tuple(lines), expires_at=expires_at, created_at=created_at,
                     show_starts_at=NOW + timedelta(days=30), buyer_limit=8)

    async def committed(self, work: Callable[[OrderingTransaction], Awaitable[object]]) -> None:
        """Run `work` in a transaction of its own and commit it."""
        async with self.transaction() as tx:
            await work(tx)
            await tx.commit()

    async def add(self, *orders: Order) -> None:
        async def add_all(tx: OrderingTransaction) -> None:
            for order in orders:
                await tx.orders.add(order, actor=order.buyer.owner)

        await self.committed(add_all)

    async def stored(self, order_id: str) -> Order:
        async with self.transaction() as tx:
            found = await tx.orders.get(order_id)
        assert found is not None, f"order {order_id} is not stored"
        return found


_memory_seats = (f"{n:016x}" for n in itertools.count(1))


def memory_ordering() -> Ordering:
    seat_ids = [next(_memory_seats) for _ in range(6)]
    world = MemoryWorld(seats=seat_ids, zones={ZONE: ZONE_CAPACITY})
    return Ordering(transaction=world.transaction, payments=world, show_id=new_id(), organization_id=new_id(),
                    seat_ids=seat_ids, someone_waits=lambda: world.locks.waiting > 0)
