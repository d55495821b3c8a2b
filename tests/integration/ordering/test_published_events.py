"""What ordering's and payments' transactions publish reaches the outbox with their commit, and never
from a savepoint that rolled back (a Stripe event whose processing failed half-way, say)."""

from __future__ import annotations

import pytest

from lml.container import Container
from lml.ordering.events import OrderReleased
from lml.payments.events import RefundRequested
from lml.platform.ids import new_id
from lml.platform.resources import Resources


def released() -> OrderReleased:
    return OrderReleased(order_id=new_id(), organization_id=new_id(), show_id=new_id(), reason="expired")


async def outbox_payloads(resources: Resources) -> list[dict[str, object]]:
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute("SELECT payload FROM platform.outbox ORDER BY id")).fetchall()
    return [row["payload"] for row in rows]


async def test_an_ordering_savepoint_that_rolls_back_takes_its_events_with_it(
    container: Container, resources: Resources
) -> None:
    kept, undone, later = released(), released(), released()
    async with resources.db.unit_of_work() as uow:
        tx = container.ordering.transactions.within(uow)
        await tx.publish(kept)
        with pytest.raises(RuntimeError):
            async with tx.savepoint():
                await tx.publish(undone)
                raise RuntimeError("the late payment's seats are gone")
        async with tx.savepoint():
            await tx.publish(later)
        await tx.commit()

    assert [p["order_id"] for p in await outbox_payloads(resources)] == [kept.order_id, later.order_id]


async def test_a_payments_savepoint_that_rolls_back_takes_its_events_with_it(
    container: Container, resources: Resources
) -> None:
    kept, undone = RefundRequested(new_id(), new_id(), 100, "USD"), RefundRequested(new_id(), new_id(), 200, "USD")
    async with resources.db.unit_of_work() as uow:
        payments = container.payments.within(uow)
        with pytest.raises(RuntimeError):
            async with payments.savepoint():
                await payments.publish(undone)
                raise RuntimeError("handler failed")
        await payments.publish(kept)
        await payments.commit()

    assert [p["refund_id"] for p in await outbox_payloads(resources)] == [kept.refund_id]
