"""Ordering's transaction port, one contract run against the in-memory world the unit tests use
(`MemoryWorld`) and against PostgreSQL (`PgTransactions`, the composition root's): orders and their
transitions and refunds, the expiry and reconciliation queues, tickets, refund policies, buyers'
refund requests, cancelled shows' orders, refunds asked of payments; what stays after a commit, a
rollback and a savepoint; and the row locks the use cases rely on (a locking read waits for the
holder and sees what it committed; sweeps skip what another transaction holds).

The seats an order takes are the other contract on this port (test_seat_inventory_contract.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import msgspec
import pytest
from psycopg.errors import UniqueViolation

from lml.ordering.application.ports import OrderingTransaction
from lml.ordering.domain.errors import HoldAlreadyOrdered
from lml.ordering.domain.order import Moved, Order, OrderStatus, Payment, Refund
from lml.ordering.domain.refund_policy import RefundPolicy, RefundTier
from lml.ordering.domain.refund_request import RefundRequest
from lml.ordering.domain.tickets import Ticket, tickets_for
from lml.ordering.infrastructure.pg_orders import ConcurrentOrderChange
from lml.platform.domain.errors import BrokenInvariant
from lml.platform.ids import new_id
from tests.integration.ordering.implementations import BOB, NOW, Ordering
from tests.timing import eventually

_Read = TypeVar("_Read")

S = OrderStatus
# Writes the use cases never make (they lock and check first), refused by PostgreSQL (its conditional
# update, its unique indexes) and by the fake's guards (BrokenInvariant). Nobody catches them: the
# transaction fails as a whole.
STALE_TRANSITION = (BrokenInvariant, ConcurrentOrderChange)
DUPLICATE = (BrokenInvariant, UniqueViolation)
POLICY = RefundPolicy(tiers=(RefundTier(hours_before=72, percent=80), RefundTier(hours_before=0, percent=10)),
                      fees_refundable=True)


def paid(order: Order) -> Moved:
    return order.pay(Payment(payment_intent_id=f"pi_{order.order_id[-12:]}", amount=order.total, currency="USD"), NOW)


async def save(ordering: Ordering, *moves: Moved, at: timedelta = timedelta()) -> None:
    async def save_all(tx: OrderingTransaction) -> None:
        for moved in moves:
            await tx.orders.save(moved, actor="system:test", at=NOW + at)

    await ordering.committed(save_all)


async def tickets_of(ordering: Ordering, order_id: str) -> list[Ticket]:
    async with ordering.transaction() as tx:
        return await tx.tickets.of_order(order_id)


def a_request(order: Order, ticket_ids: tuple[str, ...] = (), **changes: object) -> RefundRequest:
    request = RefundRequest(request_id=new_id(), order_id=order.order_id, organization_id=order.organization_id,
                            show_id=order.show_id, buyer=order.buyer, status="pending", ticket_ids=ticket_ids,
                            percent=100, amount=1000, currency="USD", reason="cannot come", created_at=NOW)
    return msgspec.structs.replace(request, **changes)


# Orders


async def test_an_order_reads_back_as_it_was_added_and_is_found_by_its_hold(ordering: Ordering) -> None:
    order = ordering.order(ga=2)
    await ordering.add(order)
    async with ordering.transaction() as tx:
        assert await tx.orders.get(order.order_id) == order
        assert await tx.orders.get(order.order_id, for_update=True) == order
        assert await tx.orders.order_for_hold(order.hold_id) == (order.order_id, "user:ann")
        assert await tx.orders.get(new_id()) is None
        assert await tx.orders.get(new_id(), for_update=True) is None
        assert await tx.orders.order_for_hold(new_id()) is None


async def test_a_hold_ordered_again_names_the_first_order_and_the_transaction_goes_on(ordering: Ordering) -> None:
    first = ordering.order()
    await ordering.add(first)
    twin, other = msgspec.structs.replace(ordering.order(), hold_id=first.hold_id), ordering.order()
    async with ordering.transaction() as tx:
        with pytest.raises(HoldAlreadyOrdered) as again:
            await tx.orders.add(twin, actor="user:ann")
        assert again.value.extensions["order_id"] == first.order_id
        await tx.orders.add(other, actor="user:ann")
        await tx.commit()
    async with ordering.transaction() as tx:
        assert await tx.orders.get(twin.order_id) is None
        assert await tx.orders.get(other.order_id) == other


async def test_a_transition_is_stored_and_one_from_a_state_the_order_left_is_refused(ordering: Ordering) -> None:
    order = ordering.order()
    await ordering.add(order)
    failed = order.fail_payment("card_declined")
    await save(ordering, failed, paid(failed.order))
    stored = await ordering.stored(order.order_id)
    assert stored == paid(failed.order).order
    assert (stored.status, stored.amount_paid, stored.paid_at) == (S.PAID, order.total, NOW)
    for stale in (order.expire(), ordering.order().expire()):  # paid meanwhile; never stored
        async with ordering.transaction() as tx:
            with pytest.raises(STALE_TRANSITION):
                await tx.orders.save(stale, actor="system:expiry", at=NOW)
    assert (await ordering.stored(order.order_id)).status is S.PAID


async def test_a_note_changes_nothing_of_the_order(ordering: Ordering) -> None:
    order = ordering.order()
    await ordering.add(order)

    async def note(tx: OrderingTransaction) -> None:
        await tx.orders.note(order, actor="user:ann", at=NOW, action="refund_request_made", detail={"amount": 1})

    await ordering.committed(note)
    assert await ordering.stored(order.order_id) == order


async def test_a_save_writes_only_the_refunds_it_changed_and_a_final_refund_keeps_its_status(
    ordering: Ordering,
) -> None:
    """Refunds come in the order they were first saved (by id when saved at once), and a change made
    from a stale copy of the order never rewrites a refund it did not change, nor reopens a final one."""
    order = ordering.order()
    await ordering.add(order)
    money = paid(order)
    low, high = sorted(new_id() for _ in range(2))  # saved at one instant, `high` first: listed by id
    asked = money.order.request_refund(Refund(refund_id=high, amount=1000, status="requested"))
    both = asked.order.request_refund(Refund(refund_id=low, amount=500, status="requested"))
    await save(ordering, money, asked, both)
    stale = both.order
    settled = stale.record_refund(high, 1000, "succeeded")
    assert settled is not None
    await save(ordering, settled, at=timedelta(seconds=1))
    for late in (stale.record_refund(low, 500, "pending"), stale.record_refund(high, 1000, "failed")):
        assert late is not None and late.transition.from_status is S.REFUND_PENDING
        await save(ordering, late, at=timedelta(seconds=2))
    stored = await ordering.stored(order.order_id)
    assert [(r.refund_id, r.amount, r.status) for r in stored.refunds] == [
        (low, 500, "pending"), (high, 1000, "succeeded")]
    assert (stored.amount_refunded, stored.refund_in_flight) == (1000, 500)


async def test_due_orders_come_soonest_deadline_first_within_the_limit(ordering: Ordering) -> None:
    deadlines = [timedelta(minutes=m) for m in (-3, -9, -1, -6, 5)]
    orders = [ordering.order(expires_at=NOW + d) for d in deadlines]
    await ordering.add(*orders)
    failed = orders[3].fail_payment("card_declined")
    await save(ordering, failed, paid(orders[1]))  # payment_failed is still due; paid is not
    async with ordering.transaction() as tx:
        assert await tx.orders.due_for_expiry(NOW, 10) == [orders[i].order_id for i in (3, 0, 2)]
    async with ordering.transaction() as tx:
        assert await tx.orders.due_for_expiry(NOW, 2) == [orders[i].order_id for i in (3, 0)]
        assert await tx.orders.due_for_expiry(NOW - timedelta(minutes=20), 10) == []


async def test_orders_awaiting_payment_come_oldest_first(ordering: Ordering) -> None:
    orders = [ordering.order(created_at=NOW - timedelta(minutes=m)) for m in (5, 30, 1, 10)]
    await ordering.add(*orders)
    await save(ordering, paid(orders[3]), orders[2].fail_payment("card_declined"))
    async with ordering.transaction() as tx:
        assert await tx.orders.awaiting_payment(NOW, 10) == [orders[i].order_id for i in (1, 0, 2)]
        assert await tx.orders.awaiting_payment(NOW - timedelta(minutes=3), 1) == [orders[1].order_id]


# Row locks


async def test_a_locked_order_keeps_the_next_locker_waiting_until_the_holder_commits_then_shows_its_change(
    ordering: Ordering,
) -> None:
    order = ordering.order()
    await ordering.add(order)

    async def lock_it() -> Order | None:
        async with ordering.transaction() as tx:
            return await tx.orders.get(order.order_id, for_update=True)

    seen = await _paid_while_another_locks(ordering, order, lock_it)
    assert seen is not None and seen.status is S.PAID


async def _paid_while_another_locks(
    ordering: Ordering, order: Order, lock_it: Callable[[], Awaitable[_Read]],
    also: Callable[[OrderingTransaction], Awaitable[object]] | None = None,
) -> _Read:
    """What `lock_it` (a transaction of its own) read, having waited for the order while another
    transaction held it, paid it (and did `also`), and committed."""
    async with ordering.transaction() as holder:
        locked = await holder.orders.get(order.order_id, for_update=True)
        assert locked is not None
        waiting = asyncio.create_task(lock_it())
        await eventually(ordering.someone_waits, within=5, what="the second locker waiting for the order")
        await holder.orders.save(paid(locked), actor="system:payments", at=NOW)
        if also is not None:
            await also(holder)
        await holder.commit()
    return await waiting


async def test_an_order_locked_with_its_shows_cancellation_reads_both_as_the_lock_holder_left_them(
    ordering: Ordering,
) -> None:
    order, elsewhere = ordering.order(), ordering.order(show_id=new_id())
    await ordering.add(order, elsewhere)
    async with ordering.transaction() as tx:
        assert await tx.orders.locked_with_show_cancelled(order.order_id) == (order, False)
        assert await tx.orders.locked_with_show_cancelled(new_id()) is None

    async def lock_it() -> tuple[Order, bool] | None:
        async with ordering.transaction() as tx:
            return await tx.orders.locked_with_show_cancelled(order.order_id)

    seen = await _paid_while_another_locks(
        ordering, order, lock_it,
        also=lambda holder: holder.cancellations.start(ordering.show_id, ordering.organization_id, NOW))
    assert seen is not None and seen[0].status is S.PAID and seen[1] is True
    async with ordering.transaction() as tx:
        assert await tx.orders.locked_with_show_cancelled(elsewhere.order_id) == (elsewhere, False)


async def test_a_sweep_skips_the_orders_another_transaction_holds(ordering: Ordering) -> None:
    orders = [ordering.order(expires_at=NOW - timedelta(minutes=m)) for m in (4, 3, 2, 1)]
    await ordering.add(*orders)
    async with ordering.transaction() as payment, ordering.transaction() as sweep:
        await payment.orders.get(orders[0].order_id, for_update=True)
        assert await sweep.orders.due_for_expiry(NOW, 2) == [orders[i].order_id for i in (1, 2)]
        async with ordering.transaction() as second_sweep:
            assert await second_sweep.orders.due_for_expiry(NOW, 10) == [orders[3].order_id]


async def test_a_twin_order_of_one_hold_waits_for_the_first_then_names_it(ordering: Ordering) -> None:
    first = ordering.order()
    twin = msgspec.structs.replace(ordering.order(), hold_id=first.hold_id)

    async def add_twin() -> None:
        await ordering.add(twin)

    async with ordering.transaction() as tx:
        await tx.orders.add(first, actor="user:ann")
        racing = asyncio.create_task(add_twin())
        await eventually(ordering.someone_waits, within=5, what="the twin waiting for the first order")
        await tx.commit()
    with pytest.raises(HoldAlreadyOrdered) as refused:
        await racing
    assert refused.value.extensions["order_id"] == first.order_id


# Tickets


async def test_tickets_come_in_line_and_unit_order_and_voiding_counts_what_it_voided(ordering: Ordering) -> None:
    order = ordering.order(ga=2)
    other = ordering.order(seats=ordering.seat_ids[2:3])
    await ordering.add(order, other)
    tickets, others = tickets_for(order, new_id), tickets_for(other, new_id)

    async def issue(tx: OrderingTransaction) -> None:
        await tx.tickets.issue(tickets[::-1], order.organization_id, NOW)
        await tx.tickets.issue(others, other.organization_id, NOW)

    await ordering.committed(issue)
    assert await tickets_of(ordering, order.order_id) == tickets
    async with ordering.transaction() as tx:
        assert await tx.tickets.void(order.order_id, [tickets[1].ticket_id, others[0].ticket_id], NOW) == 1
        assert await tx.tickets.void(order.order_id, [tickets[1].ticket_id], NOW) == 0
        assert await tx.tickets.void_all(order.order_id, NOW) == 3
        assert await tx.tickets.void_all(order.order_id, NOW) == 0
        await tx.commit()
    assert {t.status for t in await tickets_of(ordering, order.order_id)} == {"void"}
    assert [t.status for t in await tickets_of(ordering, other.order_id)] == ["valid"]
    assert await tickets_of(ordering, new_id()) == []


async def test_a_place_is_ticketed_once_and_a_seat_again_only_once_its_ticket_is_void(ordering: Ordering) -> None:
    first, second = ordering.order(seats=ordering.seat_ids[:1]), ordering.order(seats=ordering.seat_ids[:1])
    await ordering.add(first, second)
    await ordering.committed(lambda tx: tx.tickets.issue(tickets_for(first, new_id), first.organization_id, NOW))
    for order in (first, second):  # the same places with new ids and codes; the same seat for another order
        async with ordering.transaction() as tx:
            with pytest.raises(DUPLICATE):
                await tx.tickets.issue(tickets_for(order, new_id), order.organization_id, NOW)
    assert await tickets_of(ordering, second.order_id) == []

    async def resell(tx: OrderingTransaction) -> None:
        await tx.tickets.void_all(first.order_id, NOW)
        await tx.tickets.issue(tickets_for(second, new_id), second.organization_id, NOW)

    await ordering.committed(resell)
    assert [t.status for t in await tickets_of(ordering, second.order_id)] == ["valid"]


# Refund policies


async def test_a_shows_refund_policy_is_none_until_put_and_the_last_put_wins(ordering: Ordering) -> None:
    async with ordering.transaction() as tx:
        assert await tx.policies.get(ordering.show_id) is None
        await tx.policies.put(ordering.show_id, ordering.organization_id, POLICY, by="operator:o1", at=NOW)
        await tx.commit()
    stricter = RefundPolicy(tiers=(RefundTier(hours_before=24, percent=50),))
    async with ordering.transaction() as tx:
        assert await tx.policies.get(ordering.show_id) == POLICY
        await tx.policies.put(ordering.show_id, ordering.organization_id, stricter, by="operator:o2", at=NOW)
        await tx.commit()
    async with ordering.transaction() as tx:
        assert await tx.policies.get(ordering.show_id) == stricter
        assert await tx.policies.get(new_id()) is None


# Buyers' refund requests


async def test_refund_requests_are_found_and_listed_newest_first(ordering: Ordering) -> None:
    order, other = ordering.order(), ordering.order()
    await ordering.add(order, other)
    tickets = tuple(t.ticket_id for t in tickets_for(order, new_id))
    older = a_request(order, tickets[:1], created_at=NOW - timedelta(hours=1))
    # Made at the same instant: the later id comes first (the older one is added first here).
    low, high = sorted(new_id() for _ in range(2))
    declined, pending = a_request(order, tickets, request_id=low), a_request(order, tickets, request_id=high)

    async def ask(tx: OrderingTransaction) -> None:
        for request in (older, declined):
            await tx.refund_requests.add(request)
            await tx.refund_requests.save(request.decline(by="operator:o1", at=NOW, note="no"))
        await tx.refund_requests.add(pending)

    await ordering.committed(ask)
    async with ordering.transaction() as tx:
        assert await tx.refund_requests.get(pending.request_id) == pending
        assert await tx.refund_requests.get(pending.request_id, for_update=True) == pending
        assert await tx.refund_requests.pending_for(order.order_id) == pending
        assert await tx.refund_requests.pending_for(other.order_id) is None
        assert [r.request_id for r in await tx.refund_requests.of_order(order.order_id)] == [
            pending.request_id, declined.request_id, older.request_id]
        assert await tx.refund_requests.of_order(other.order_id) == []
        assert await tx.refund_requests.get(new_id()) is None
        assert await tx.refund_requests.get(new_id(), for_update=True) is None


async def test_a_refund_request_is_decided_once(ordering: Ordering) -> None:
    order = ordering.order()
    await ordering.add(order)
    request = a_request(order)
    approved = request.approve(by="operator:o1", at=NOW, amount=800, refund_id="re_1", note="fine")

    async def decide_twice(tx: OrderingTransaction) -> None:
        await tx.refund_requests.add(request)
        await tx.refund_requests.save(approved)
        await tx.refund_requests.save(request.decline(by="operator:o2", at=NOW, note="no"))

    await ordering.committed(decide_twice)
    async with ordering.transaction() as tx:
        assert await tx.refund_requests.get(request.request_id) == approved
        assert await tx.refund_requests.pending_for(order.order_id) is None


async def test_one_refund_request_waits_per_order(ordering: Ordering) -> None:
    order = ordering.order()
    await ordering.add(order)
    first = a_request(order)
    await ordering.committed(lambda tx: tx.refund_requests.add(first))
    async with ordering.transaction() as tx:
        with pytest.raises(DUPLICATE):
            await tx.refund_requests.add(a_request(order))
    async with ordering.transaction() as tx:
        assert [r.request_id for r in await tx.refund_requests.of_order(order.order_id)] == [first.request_id]


# Cancelled shows


async def test_a_cancellation_starts_once_and_covers_its_show_only(ordering: Ordering) -> None:
    async with ordering.transaction() as tx:
        assert not await tx.cancellations.covers(ordering.show_id)
        assert await tx.cancellations.start(ordering.show_id, ordering.organization_id, NOW) is True
        assert await tx.cancellations.start(ordering.show_id, ordering.organization_id, NOW) is False
        await tx.commit()
    async with ordering.transaction() as tx:
        assert await tx.cancellations.start(ordering.show_id, ordering.organization_id, NOW) is False
        assert await tx.cancellations.covers(ordering.show_id)
        assert not await tx.cancellations.covers(new_id())


async def test_a_cancelled_shows_open_orders_come_by_id_until_handled_and_then_it_finishes(
    ordering: Ordering,
) -> None:
    pending, to_refund, expired, failed = (ordering.order() for _ in range(4))
    elsewhere = ordering.order(show_id=new_id())
    await ordering.add(pending, to_refund, expired, failed, elsewhere)
    await save(ordering, paid(to_refund), expired.expire(), failed.fail_payment("card_declined"))
    await ordering.committed(lambda tx: tx.cancellations.start(ordering.show_id, ordering.organization_id, NOW))
    open_ids = sorted(o.order_id for o in (pending, to_refund, failed))
    async with ordering.transaction() as tx:
        assert await tx.cancellations.next_orders(10) == open_ids
        assert await tx.cancellations.next_orders(2) == open_ids[:2]
        assert await tx.cancellations.finish(NOW) == []
        await tx.cancellations.handled(pending, action="cancelled", at=NOW)
        await tx.cancellations.handled(to_refund, action="refund_requested", at=NOW, refund_id="re_1", amount=1)
        await tx.commit()
    async with ordering.transaction() as tx:
        assert await tx.cancellations.next_orders(10) == [failed.order_id]
        await tx.cancellations.handled(failed, action="cancelled", at=NOW)
        assert await tx.cancellations.finish(NOW) == [ordering.show_id]
        assert await tx.cancellations.finish(NOW) == []
        assert await tx.cancellations.next_orders(10) == []
        assert await tx.cancellations.covers(ordering.show_id)


async def test_the_next_batch_skips_the_orders_another_transaction_holds(ordering: Ordering) -> None:
    orders = [ordering.order() for _ in range(3)]
    await ordering.add(*orders)
    await ordering.committed(lambda tx: tx.cancellations.start(ordering.show_id, ordering.organization_id, NOW))
    ids = sorted(o.order_id for o in orders)
    async with ordering.transaction() as payment, ordering.transaction() as batch:
        await payment.orders.get(ids[0], for_update=True)
        assert await batch.cancellations.next_orders(10) == ids[1:]
        async with ordering.transaction() as second_batch:
            assert await second_batch.cancellations.next_orders(10) == []


# Refunds asked of payments


async def test_each_refund_asked_for_a_paid_order_gets_its_own_id(ordering: Ordering) -> None:
    order = ordering.order()
    await ordering.add(order)
    await ordering.payments.ensure_intent(order)
    async with ordering.transaction() as tx:
        first = await tx.refunds.request(order.order_id, 1000, "goodwill")
        second = await tx.refunds.request(order.order_id, 2000, "goodwill")
    assert first and second and first != second


# Transactions


async def test_only_committed_work_stays(ordering: Ordering) -> None:
    order = ordering.order()

    async def write(tx: OrderingTransaction) -> None:
        await tx.orders.add(order, actor="user:ann")
        await tx.policies.put(ordering.show_id, ordering.organization_id, POLICY, by="operator:o1", at=NOW)
        await tx.cancellations.start(ordering.show_id, ordering.organization_id, NOW)
        await tx.refund_requests.add(a_request(order))
        await tx.tickets.issue(tickets_for(order, new_id), order.organization_id, NOW)

    async with ordering.transaction() as tx:
        await write(tx)
    async with ordering.transaction() as tx:
        assert await tx.orders.get(order.order_id) is None
        assert await tx.policies.get(ordering.show_id) is None
        assert not await tx.cancellations.covers(ordering.show_id)
        assert await tx.refund_requests.pending_for(order.order_id) is None
        assert await tx.tickets.of_order(order.order_id) == []
    await ordering.committed(write)
    async with ordering.transaction() as tx:
        assert await tx.orders.get(order.order_id) == order
        assert await tx.policies.get(ordering.show_id) == POLICY
        assert await tx.cancellations.covers(ordering.show_id)
        assert await tx.refund_requests.pending_for(order.order_id) is not None
        assert len(await tx.tickets.of_order(order.order_id)) == 2


async def test_a_savepoint_undoes_only_what_was_done_inside_it(ordering: Ordering) -> None:
    kept, undone = ordering.order(), ordering.order(buyer=BOB)
    async with ordering.transaction() as tx:
        await tx.orders.add(kept, actor="user:ann")
        with pytest.raises(RuntimeError):
            async with tx.savepoint():
                await tx.orders.add(undone, actor="guest:bob")
                await tx.policies.put(ordering.show_id, ordering.organization_id, POLICY, by="operator:o1", at=NOW)
                raise RuntimeError("the late payment's seats are gone")
        async with tx.savepoint():
            await tx.orders.save(paid(kept), actor="system:payments", at=NOW)
        await tx.commit()
    async with ordering.transaction() as tx:
        assert await tx.orders.get(undone.order_id) is None
        assert await tx.policies.get(ordering.show_id) is None
    assert (await ordering.stored(kept.order_id)).status is S.PAID
