"""The in-memory fakes behave like the PostgreSQL adapters: one contract, run against both."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from lml.payments.application.ports import StoreEvent, UnitOfWorkFactory
from lml.payments.application.testing import MemoryPayments
from lml.payments.domain.payment import PaymentRecord, Refund
from lml.payments.domain.stripe_events import StripeEvent
from lml.payments.infrastructure.pg_inbox import PgEventStore
from lml.payments.infrastructure.unit_of_work import unit_of_work_factory


@pytest.fixture(params=["memory", "postgresql"])
def stores(request: pytest.FixtureRequest) -> tuple[UnitOfWorkFactory, StoreEvent]:
    if request.param == "memory":
        payments = MemoryPayments()
        return payments.unit_of_work(), payments.store_event
    db = request.getfixturevalue("resources").db
    return unit_of_work_factory(db), PgEventStore(db)


@pytest.fixture
def uows(stores: tuple[UnitOfWorkFactory, StoreEvent]) -> UnitOfWorkFactory:
    return stores[0]


def _event(event_type: str = "payment_intent.succeeded") -> StripeEvent:
    event_id = f"evt_{uuid.uuid4().hex}"
    return StripeEvent(id=event_id, type=event_type, payload={"id": event_id, "data": {"object": {"id": "pi_1"}}},
                       created=1_800_000_000)


async def test_an_event_is_stored_once_and_only_committed_work_stays(uows: UnitOfWorkFactory) -> None:
    event = _event()
    async with uows() as uow:
        assert await uow.inbox.add(event, source="webhook", status="pending", note=None)
    async with uows() as uow:  # not committed: gone
        assert await uow.inbox.get(event.id) is None
        assert await uow.inbox.add(event, source="webhook", status="pending", note=None)
        assert not await uow.inbox.add(event, source="webhook", status="pending", note=None)
        await uow.commit()
    async with uows() as uow:
        entry = await uow.inbox.get(event.id)
    assert entry is not None
    assert (entry.event_type, entry.source, entry.status, entry.attempts, entry.payload) == (
        event.type, "webhook", "pending", 0, event.payload)
    assert entry.stripe_created_at == datetime.fromtimestamp(1_800_000_000, UTC)


async def test_an_event_stored_alone_is_committed_once_and_ignored_ones_are_done_at_once(
    stores: tuple[UnitOfWorkFactory, StoreEvent],
) -> None:
    uows, store = stores
    event, ignored = _event(), _event("invoice.paid")
    assert await store(event, source="webhook", status="pending", note=None)
    assert not await store(event, source="webhook", status="pending", note=None)
    assert await store(ignored, source="webhook", status="ignored", note="invoice.paid events are not handled")
    async with uows() as uow:
        entry, done = await uow.inbox.get(event.id), await uow.inbox.get(ignored.id)
    assert entry is not None and (entry.status, entry.payload, entry.processed_at) == ("pending", event.payload, None)
    assert entry.stripe_created_at == datetime.fromtimestamp(1_800_000_000, UTC)
    assert done is not None and (done.status, done.note) == ("ignored", "invoice.paid events are not handled")
    assert done.processed_at is not None


async def test_claims_take_due_pending_events_oldest_first_and_failures_back_off(uows: UnitOfWorkFactory) -> None:
    first, second, ignored = _event(), _event(), _event("invoice.paid")
    async with uows() as uow:
        await uow.inbox.add(first, source="webhook", status="pending", note=None)
        await uow.inbox.add(second, source="reconciliation", status="pending", note=None)
        await uow.inbox.add(ignored, source="webhook", status="ignored", note="not handled")
        await uow.commit()
    now = datetime.now(UTC) + timedelta(seconds=1)
    async with uows() as uow:
        assert [e.event_id for e in await uow.inbox.claim_due(now, 5)] == [first.id, second.id]
    async with uows() as uow:
        [claimed] = await uow.inbox.claim_due(now, 1)
        assert claimed.event_id == first.id
        await uow.inbox.fail(first.id, attempts=1, error="boom", next_attempt_at=now + timedelta(minutes=5), dead=False)
        await uow.commit()
    async with uows() as uow:
        [claimed] = await uow.inbox.claim_due(now, 5)
        assert claimed.event_id == second.id
        await uow.inbox.finish(second.id, status="processed", note=None, now=now)
        await uow.commit()
    async with uows() as uow:
        assert await uow.inbox.claim_due(now, 5) == []
        [later] = await uow.inbox.claim_due(now + timedelta(minutes=6), 5)
        assert (later.event_id, later.attempts, later.last_error) == (first.id, 1, "boom")
        done = await uow.inbox.get(second.id)
        assert done is not None and (done.status, done.attempts, done.processed_at) == ("processed", 1, now)


async def test_only_dead_events_are_revived_and_pages_filter_by_status_newest_first(uows: UnitOfWorkFactory) -> None:
    events = [_event() for _ in range(3)]
    now = datetime.now(UTC)
    async with uows() as uow:
        for event in events:
            await uow.inbox.add(event, source="webhook", status="pending", note=None)
        await uow.inbox.fail(events[1].id, attempts=10, error="boom", next_attempt_at=now, dead=True)
        await uow.commit()
    async with uows() as uow:
        everything = await uow.inbox.page(status=None, before_seq=None, limit=10)
        assert [e.event_id for e in everything] == [e.id for e in reversed(events)]
        older = await uow.inbox.page(status=None, before_seq=everything[0].seq, limit=1)
        assert [e.event_id for e in older] == [events[1].id]
        assert [e.event_id for e in await uow.inbox.page(status="dead", before_seq=None, limit=10)] == [events[1].id]
        assert await uow.inbox.revive(events[0].id, now) is None
        revived = await uow.inbox.revive(events[1].id, now)
        assert revived is not None and (revived.status, revived.attempts, revived.last_error) == ("pending", 0, "boom")


async def test_payment_records_and_refunds_are_found_by_their_keys(uows: UnitOfWorkFactory) -> None:
    order = str(uuid.uuid4())
    record = PaymentRecord(order_id=order, show_id=str(uuid.uuid4()), payment_intent_id=f"pi_{order[:8]}",
                           client_secret="secret", status="requires_payment_method", amount=100, currency="USD")
    refunds = [Refund(id=str(uuid.uuid4()), order_id=order, seq=seq, payment_intent_id=record.payment_intent_id,
                      amount=10, currency="USD", reason="r") for seq in (2, 1)]
    async with uows() as uow:
        await uow.intents.lock_order(order)
        await uow.intents.add(record)
        for refund in refunds:
            await uow.refunds.add(refund)
        await uow.commit()
    async with uows() as uow:
        assert await uow.intents.locked(str(uuid.uuid4()), across_provider_call=True) is None
        assert await uow.intents.locked(order) == await uow.intents.get(order) == record
        await uow.intents.report_status(record.payment_intent_id, "succeeded")
        await uow.refunds.save(msgspec.structs.replace(refunds[1], status="pending", stripe_refund_id="re_1"))
        await uow.commit()
    async with uows() as uow:
        found = await uow.intents.by_payment_intent(record.payment_intent_id)
        assert found is not None and found.status == "succeeded"
        assert [r.seq for r in await uow.refunds.for_order(order)] == [1, 2]
        by_stripe = await uow.refunds.by_stripe_id("re_1")
        assert by_stripe is not None and (by_stripe.id, by_stripe.status) == (refunds[1].id, "pending")
        assert await uow.refunds.lock(refunds[0].id) == refunds[0]
        assert await uow.intents.get(str(uuid.uuid4())) is None


async def test_a_reported_status_is_recorded_unless_the_recorded_one_is_terminal(uows: UnitOfWorkFactory) -> None:
    order = str(uuid.uuid4())
    record = PaymentRecord(order_id=order, show_id=str(uuid.uuid4()), payment_intent_id=f"pi_{order[:8]}",
                           client_secret="secret", status="requires_payment_method", amount=100, currency="USD")
    async with uows() as uow:
        await uow.intents.add(record)
        await uow.commit()
    statuses = []
    async with uows() as uow:
        assert await uow.intents.report_status(f"pi_{uuid.uuid4().hex}", "succeeded") is None
        for reported in ("processing", "processing", "succeeded", "requires_payment_method", "canceled"):
            reported_on = await uow.intents.report_status(record.payment_intent_id, reported)
            assert reported_on is not None
            assert reported_on == await uow.intents.get(order)
            statuses.append(reported_on.status)
        await uow.commit()
    assert statuses == ["processing", "processing", "succeeded", "succeeded", "succeeded"]
    async with uows() as uow:
        assert await uow.intents.get(order) == msgspec.structs.replace(record, status="succeeded")


async def test_a_savepoint_undoes_only_what_was_done_inside_it(uows: UnitOfWorkFactory) -> None:
    kept, undone = _event(), _event()
    async with uows() as uow:
        await uow.inbox.add(kept, source="webhook", status="pending", note=None)
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                await uow.inbox.add(undone, source="webhook", status="pending", note=None)
                raise RuntimeError("handler failed")
        await uow.commit()
    async with uows() as uow:
        assert await uow.inbox.get(kept.id) is not None
        assert await uow.inbox.get(undone.id) is None
