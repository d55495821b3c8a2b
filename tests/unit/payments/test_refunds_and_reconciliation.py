"""Refunds sent through the outbox, and reconciliation of lost webhooks, on fakes."""

from __future__ import annotations

import uuid

import pytest

from lml.payments.application.ensure_payment_intent import ensure_payment_intent
from lml.payments.application.execute_refund import execute_refund
from lml.payments.application.process_events import process_due_events
from lml.payments.application.reconcile import reconcile_payments
from lml.payments.application.request_refund import request_refund
from lml.payments.application.testing import FakeGateway, MemoryPayments
from lml.payments.domain.errors import InvalidRefundAmount, NoPaymentToRefund, PaymentProviderUnavailable
from lml.payments.domain.payment import PaymentRecord, Refund
from lml.payments.domain.stripe_objects import RefundSnapshot
from lml.payments.events import RefundRequested
from tests.timing import TestClock


async def _paid_order(payments: MemoryPayments, gateway: FakeGateway, amount: int = 5000) -> PaymentRecord:
    record = await ensure_payment_intent(payments.unit_of_work(), gateway, order_id=str(uuid.uuid4()),
                                         show_id=str(uuid.uuid4()), amount=amount, currency="usd")
    gateway.pay(record.payment_intent_id)
    return record


async def _request(payments: MemoryPayments, order_id: str, amount: int) -> Refund:
    async with payments.unit_of_work()() as uow:
        refund = await request_refund(uow, refund_id=str(uuid.uuid4()), order_id=order_id, amount=amount,
                                      reason="show cancelled")
        await uow.commit()
    return refund


async def _execute(payments: MemoryPayments, gateway: FakeGateway, refund_id: str) -> None:
    async with payments.unit_of_work()() as uow:
        await execute_refund(uow, gateway, refund_id=refund_id)
        await uow.commit()


async def test_a_requested_refund_is_numbered_per_order_and_announced_in_the_same_transaction(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    record = await _paid_order(payments, gateway)
    first = await _request(payments, record.order_id, 1000)
    second = await _request(payments, record.order_id, 500)
    assert (first.idempotency_key, second.idempotency_key) == (
        f"refund:{record.order_id}:1", f"refund:{record.order_id}:2")
    assert payments.state.published == [
        RefundRequested(refund_id=first.id, order_id=record.order_id, amount=1000, currency="USD"),
        RefundRequested(refund_id=second.id, order_id=record.order_id, amount=500, currency="USD"),
    ]


async def test_a_refund_beyond_what_is_left_or_of_an_order_never_paid_is_refused(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    record = await _paid_order(payments, gateway, amount=1000)
    await _request(payments, record.order_id, 800)
    with pytest.raises(InvalidRefundAmount):
        await _request(payments, record.order_id, 201)
    with pytest.raises(NoPaymentToRefund):
        await _request(payments, str(uuid.uuid4()), 100)


async def test_sending_a_refund_records_stripes_id_and_tells_ordering_once(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    record = await _paid_order(payments, gateway)
    refund = await _request(payments, record.order_id, 1200)
    for _ in range(3):  # the outbox delivers at least once
        await _execute(payments, gateway, refund.id)
    [sent] = gateway.refunds.values()
    assert sent.metadata == {"order_id": record.order_id, "refund_id": refund.id, "reason": "show cancelled"}
    assert payments.state.refunds[refund.id].stripe_refund_id == sent.id
    assert payments.orders.named("record_refund") == [
        {"order_id": record.order_id, "refund_id": refund.id, "amount_refunded": 1200, "status": "succeeded"}]


async def test_a_refund_stripe_made_before_a_crash_is_found_not_made_again(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    record = await _paid_order(payments, gateway)
    refund = await _request(payments, record.order_id, 700)
    # Stripe made it, then the worker died before its commit: our row still says "requested".
    gateway.refunds["re_before_crash"] = RefundSnapshot(
        id="re_before_crash", status="succeeded", amount=700, currency="USD",
        payment_intent_id=record.payment_intent_id, metadata={"refund_id": refund.id},
    )
    await _execute(payments, gateway, refund.id)
    assert list(gateway.refunds) == ["re_before_crash"]
    assert payments.state.refunds[refund.id].stripe_refund_id == "re_before_crash"


async def test_a_refund_stripe_refuses_is_final_and_ordering_hears_it_failed(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    record = await _paid_order(payments, gateway, amount=1000)
    refund = await _request(payments, record.order_id, 1000)
    gateway.refunds["re_elsewhere"] = RefundSnapshot(  # refunded in full from Stripe's dashboard meanwhile
        id="re_elsewhere", status="succeeded", amount=1000, currency="USD",
        payment_intent_id=record.payment_intent_id, metadata={},
    )
    await _execute(payments, gateway, refund.id)
    assert payments.state.refunds[refund.id].status == "rejected"
    assert payments.orders.named("record_refund")[0]["status"] == "failed"


async def test_stripe_unreachable_leaves_the_refund_requested_for_the_outbox_to_retry(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    record = await _paid_order(payments, gateway)
    refund = await _request(payments, record.order_id, 100)
    gateway.reachable = False
    with pytest.raises(PaymentProviderUnavailable):
        await _execute(payments, gateway, refund.id)
    assert payments.state.refunds[refund.id].status == "requested"
    assert payments.orders.calls == []


async def test_reconciliation_applies_a_payment_whose_webhook_was_lost_once(
    payments: MemoryPayments, gateway: FakeGateway, clock: TestClock
) -> None:
    paid = await _paid_order(payments, gateway, amount=4200)
    unpaid = await ensure_payment_intent(payments.unit_of_work(), gateway, order_id=str(uuid.uuid4()),
                                         show_id=str(uuid.uuid4()), amount=100, currency="usd")
    payments.orders.awaiting = [paid.order_id, unpaid.order_id, str(uuid.uuid4())]
    for _ in range(2):
        report = await reconcile_payments(payments.unit_of_work(), gateway, older_than_seconds=60, limit=10)
        await process_due_events(payments.unit_of_work(), clock=clock)
    assert report.checked == 2 and report.queued == 0  # the second run found it queued already
    assert payments.orders.named("record_payment_succeeded") == [
        {"order_id": paid.order_id, "payment_intent_id": paid.payment_intent_id, "amount_received": 4200,
         "currency": "USD"}]
    assert payments.state.events[f"reconciliation:{paid.payment_intent_id}:succeeded"].source == "reconciliation"


async def test_reconciliation_stops_quietly_while_stripe_is_unreachable(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    paid = await _paid_order(payments, gateway)
    payments.orders.awaiting = [paid.order_id]
    gateway.reachable = False
    report = await reconcile_payments(payments.unit_of_work(), gateway, older_than_seconds=60, limit=10)
    assert (report.checked, report.queued, report.unreachable) == (0, 0, True)
