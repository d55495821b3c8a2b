"""Ordering's PostgreSQL adapters against the real database: conditional transitions, the
append-only audit log, tickets unique per seat, the expiry queue, and row-level security."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import psycopg
import pytest
from psycopg.errors import InsufficientPrivilege, UniqueViolation

from lml.ordering.domain.errors import HoldAlreadyOrdered
from lml.ordering.domain.order import Order, OrderStatus, Payment, Refund
from lml.ordering.domain.tickets import tickets_for
from lml.ordering.infrastructure.pg_orders import ConcurrentOrderChange, PgOrders
from lml.ordering.infrastructure.pg_tickets import PgTickets
from lml.platform.ids import new_id
from lml.platform.resources import Resources
from tests.timing import eventually, waiting_for_a_lock
from tests.unit.ordering.orders import an_order

NOW = datetime.now(UTC).replace(microsecond=0)


def fresh(order: Order | None = None, *, org: str | None = None,
          expires_in: timedelta = timedelta(minutes=10)) -> Order:
    order = order or an_order()
    return msgspec.structs.replace(order, order_id=new_id(), hold_id=new_id(), show_id=new_id() if org else
                                   order.show_id, organization_id=org or order.organization_id,
                                   created_at=NOW, expires_at=NOW + expires_in)


async def add(resources: Resources, order: Order) -> None:
    async with resources.db.unit_of_work() as uow:
        await PgOrders(uow.conn).add(order, actor="user:u1")
        await uow.commit()


async def test_an_order_reads_back_as_it_was_written(resources: Resources) -> None:
    order = fresh(an_order(seats=2, ga=3))
    await add(resources, order)
    async with resources.db.unit_of_work() as uow:
        assert await PgOrders(uow.conn).get(order.order_id) == order


async def test_a_hold_is_ordered_once_and_the_second_attempt_names_the_first(resources: Resources) -> None:
    order = fresh()
    await add(resources, order)
    with pytest.raises(HoldAlreadyOrdered) as second:
        await add(resources, msgspec.structs.replace(order, order_id=new_id()))
    assert second.value.extensions["order_id"] == order.order_id


async def test_a_transition_applies_only_from_the_state_it_started_from(resources: Resources) -> None:
    order = fresh()
    await add(resources, order)
    paid = order.pay(Payment(payment_intent_id="pi_1", amount=order.total, currency="USD"), NOW)
    expired = order.expire()
    async with resources.db.unit_of_work() as uow:
        await PgOrders(uow.conn).save(paid, actor="system:payments", at=NOW)
        await uow.commit()
    async with resources.db.unit_of_work() as uow:
        with pytest.raises(ConcurrentOrderChange):
            await PgOrders(uow.conn).save(expired, actor="system:expiry", at=NOW)
    async with resources.db.unit_of_work() as uow:
        stored = await PgOrders(uow.conn).get(order.order_id)
    assert stored is not None and stored.status is OrderStatus.PAID and stored.amount_paid == order.total


async def test_every_change_is_in_the_audit_log_with_who_what_and_when(resources: Resources) -> None:
    order = fresh()
    await add(resources, order)
    async with resources.db.unit_of_work() as uow:
        await PgOrders(uow.conn).save(order.fail_payment("card_declined"), actor="system:payments", at=NOW,
                                      detail={"reason": "card_declined"})
        await uow.commit()
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "SELECT actor, action, from_status, to_status, detail FROM ordering.order_events WHERE order_id = %s"
            " ORDER BY event_id", (order.order_id,))).fetchall()
    assert [(r["actor"], r["action"], r["from_status"], r["to_status"]) for r in rows] == [
        ("user:u1", "created", None, "pending_payment"),
        ("system:payments", "payment_failed", "pending_payment", "payment_failed"),
    ]
    assert rows[1]["detail"] == {"reason": "card_declined"}


@pytest.mark.parametrize("statement", ["UPDATE ordering.order_events SET actor = 'x'",
                                       "DELETE FROM ordering.order_events"])
async def test_the_application_cannot_rewrite_or_erase_the_audit_log(resources: Resources, statement: str) -> None:
    await add(resources, fresh())
    async with resources.db.unit_of_work() as uow:
        with pytest.raises(InsufficientPrivilege):
            await uow.conn.execute(statement)


async def test_a_seat_has_one_valid_ticket_per_show_and_a_voided_one_frees_it(resources: Resources) -> None:
    first = fresh(an_order(seats=1))
    second = msgspec.structs.replace(fresh(an_order(seats=1)), show_id=first.show_id)
    await add(resources, first)
    await add(resources, second)
    async with resources.db.unit_of_work() as uow:
        await PgTickets(uow.conn).issue(tickets_for(first, new_id), first.organization_id, NOW)
        await uow.commit()
    async with resources.db.unit_of_work() as uow:
        with pytest.raises(UniqueViolation):
            await PgTickets(uow.conn).issue(tickets_for(second, new_id), second.organization_id, NOW)
    async with resources.db.unit_of_work() as uow:
        assert await PgTickets(uow.conn).void_all(first.order_id, NOW) == 1
        await PgTickets(uow.conn).issue(tickets_for(second, new_id), second.organization_id, NOW)
        await uow.commit()
    async with resources.db.unit_of_work() as uow:
        tickets = await PgTickets(uow.conn).of_order(second.order_id)
    assert [(t.seat_id, t.status) for t in tickets] == [("0000000000000001", "valid")]


async def test_an_order_is_ticketed_once_whatever_retries_happen(resources: Resources) -> None:
    order = fresh(an_order(seats=1, ga=2))
    await add(resources, order)
    async with resources.db.unit_of_work() as uow:
        await PgTickets(uow.conn).issue(tickets_for(order, new_id), order.organization_id, NOW)
        await uow.commit()
    async with resources.db.unit_of_work() as uow:
        with pytest.raises(UniqueViolation):  # fresh codes and ids, same places
            await PgTickets(uow.conn).issue(tickets_for(order, new_id), order.organization_id, NOW)


async def test_two_sweepers_never_take_the_same_due_order(resources: Resources) -> None:
    # Swept at NOW, the instant the orders are made at (module import): "due" and "not due" hold
    # however long after import the test runs.
    orders = [fresh(expires_in=timedelta(seconds=-1)) for _ in range(6)]
    for order in orders:
        await add(resources, order)
    await add(resources, fresh(expires_in=timedelta(minutes=5)))  # not due
    taken: list[list[str]] = []
    locked, release = asyncio.Event(), asyncio.Event()

    async def first_sweeper() -> None:
        async with resources.db.unit_of_work() as uow:
            taken.append(await PgOrders(uow.conn).due_for_expiry(NOW, 4))
            locked.set()
            await release.wait()

    first = asyncio.create_task(first_sweeper())
    await locked.wait()
    async with resources.db.unit_of_work() as uow:  # meanwhile, a second worker sweeps
        taken.append(await PgOrders(uow.conn).due_for_expiry(NOW, 10))
    release.set()
    await first
    assert len(taken[0]) == 4 and len(taken[1]) == 2
    assert set(taken[0]) | set(taken[1]) == {o.order_id for o in orders}


async def test_an_operator_sees_only_their_organizations_orders(resources: Resources) -> None:
    mine, theirs = fresh(org=new_id()), fresh(org=new_id())
    await add(resources, mine)
    await add(resources, theirs)
    async with resources.db.unit_of_work(org_id=mine.organization_id) as uow:
        repo = PgOrders(uow.conn)
        assert await repo.get(mine.order_id) is not None
        assert await repo.get(theirs.order_id) is None
        seen = await (await uow.conn.execute("SELECT count(*) AS n FROM ordering.order_events")).fetchone()
        assert seen == {"n": 1}
    async with resources.db.unit_of_work(org_id=mine.organization_id) as uow:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # row-level security: no writing another's
            await PgOrders(uow.conn).add(fresh(org=theirs.organization_id), actor="user:x")



async def test_a_locked_read_sees_the_refunds_its_lock_holder_settled(resources: Resources) -> None:
    """Under READ COMMITTED a locking read that waited must not decide from refunds as they were before
    the lock holder committed, nor write a settled refund back as open."""
    order = fresh()
    await add(resources, order)
    paid = order.pay(Payment(payment_intent_id="pi_1", amount=order.total, currency="USD"), NOW)
    requested = paid.order.request_refund(Refund(refund_id="r1", amount=1000, status="requested"))
    async with resources.db.unit_of_work() as uow:
        await PgOrders(uow.conn).save(paid, actor="system:payments", at=NOW)
        await PgOrders(uow.conn).save(requested, actor="operator:o1", at=NOW)
        await uow.commit()

    async def operator_refunds_more() -> Order:
        async with resources.db.unit_of_work() as uow:
            orders = PgOrders(uow.conn)
            seen = await orders.get(order.order_id, for_update=True)
            assert seen is not None
            await orders.save(seen.request_refund(Refund(refund_id="r2", amount=500, status="requested")),
                              actor="operator:o2", at=NOW)
            await uow.commit()
            return seen

    async with resources.db.unit_of_work() as settling:
        orders = PgOrders(settling.conn)
        current = await orders.get(order.order_id, for_update=True)
        assert current is not None
        settled = current.record_refund("r1", 1000, "succeeded")
        assert settled is not None
        await orders.save(settled, actor="system:payments", at=NOW)
        operator = asyncio.create_task(operator_refunds_more())
        await eventually(lambda: waiting_for_a_lock(resources, "transactionid"), within=10,
                         what="the operator waiting for the lock")
        await settling.commit()
    seen_by_operator = await operator

    assert [(r.refund_id, r.status) for r in seen_by_operator.refunds] == [("r1", "succeeded")]
    async with resources.db.unit_of_work() as uow:
        stored = await PgOrders(uow.conn).get(order.order_id)
    assert stored is not None
    assert [(r.refund_id, r.status) for r in stored.refunds] == [("r1", "succeeded"), ("r2", "requested")]
    assert stored.amount_refunded == 1000 and stored.refund_in_flight == 500


async def test_a_settled_refund_cannot_be_reopened_even_by_hand(resources: Resources) -> None:
    order = fresh()
    await add(resources, order)
    paid = order.pay(Payment(payment_intent_id="pi_1", amount=order.total, currency="USD"), NOW)
    requested = paid.order.request_refund(Refund(refund_id="r1", amount=1000, status="requested"))
    settled = requested.order.record_refund("r1", 1000, "succeeded")
    assert settled is not None
    async with resources.db.unit_of_work() as uow:
        for moved in (paid, requested, settled):
            await PgOrders(uow.conn).save(moved, actor="system:payments", at=NOW)
        await uow.commit()
    async with resources.db.unit_of_work() as uow:
        with pytest.raises(psycopg.errors.CheckViolation):
            await uow.conn.execute("UPDATE ordering.refunds SET status = 'requested' WHERE refund_id = 'r1'")
