"""ensure / cancel / fetch an order's PaymentIntent, on fakes."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from lml.payments.application.cancel_payment_intent import cancel_payment_intent
from lml.payments.application.ensure_payment_intent import ensure_payment_intent
from lml.payments.application.fetch_payment_intent import fetch_payment_intent
from lml.payments.application.testing import FakeGateway, MemoryPayments
from lml.payments.domain.errors import PaymentIntentMismatch, PaymentProviderUnavailable, PaymentStillProcessing
from lml.platform.domain.errors import InvalidInput

SHOW = str(uuid.uuid4())


async def _ensure(payments: MemoryPayments, gateway: FakeGateway, order_id: str, amount: int = 5000):
    return await ensure_payment_intent(payments.unit_of_work(), gateway, order_id=order_id, show_id=SHOW,
                                       amount=amount, currency="usd")


async def test_the_first_call_creates_the_payment_intent_with_the_order_in_its_metadata(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    order = str(uuid.uuid4())
    record = await _ensure(payments, gateway, order)
    pi = gateway.intents[record.payment_intent_id]
    assert pi.metadata == {"order_id": order, "show_id": SHOW}
    assert (record.amount, record.currency, record.status) == (5000, "USD", "requires_payment_method")
    assert record.client_secret == pi.client_secret


async def test_later_calls_return_the_recorded_payment_intent_without_asking_stripe(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    order = str(uuid.uuid4())
    first = await _ensure(payments, gateway, order)
    again = [await _ensure(payments, gateway, order) for _ in range(3)]
    assert again == [first] * 3
    assert gateway.calls == ["create_payment_intent"]


async def test_stripe_unreachable_records_nothing_and_a_later_call_creates_it(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    order = str(uuid.uuid4())
    gateway.reachable = False
    with pytest.raises(PaymentProviderUnavailable):
        await _ensure(payments, gateway, order)
    assert payments.state.intents == {}
    gateway.reachable = True
    record = await _ensure(payments, gateway, order)
    assert list(gateway.intents) == [record.payment_intent_id]


async def test_asking_again_for_another_amount_is_a_conflict(payments: MemoryPayments, gateway: FakeGateway) -> None:
    order = str(uuid.uuid4())
    await _ensure(payments, gateway, order, amount=5000)
    with pytest.raises(PaymentIntentMismatch):
        await _ensure(payments, gateway, order, amount=6000)
    assert len(gateway.intents) == 1


async def test_a_non_positive_amount_is_refused_before_stripe_is_asked(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    with pytest.raises(InvalidInput):
        await _ensure(payments, gateway, str(uuid.uuid4()), amount=0)
    assert gateway.calls == []


async def test_cancelling_an_order_without_a_payment_intent_does_nothing(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    await cancel_payment_intent(payments.unit_of_work(), gateway, order_id=str(uuid.uuid4()))
    assert gateway.calls == []


async def test_cancelling_twice_cancels_at_stripe_once(payments: MemoryPayments, gateway: FakeGateway) -> None:
    order = str(uuid.uuid4())
    record = await _ensure(payments, gateway, order)
    for _ in range(2):
        await cancel_payment_intent(payments.unit_of_work(), gateway, order_id=order)
    assert gateway.intents[record.payment_intent_id].status == "canceled"
    assert payments.state.intents[order].status == "canceled"
    assert gateway.calls.count("cancel_payment_intent") == 1


async def test_cancelling_a_payment_intent_paid_meanwhile_queues_the_payment_for_ordering_once(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    order = str(uuid.uuid4())
    record = await _ensure(payments, gateway, order)
    gateway.pay(record.payment_intent_id)
    for _ in range(2):
        await cancel_payment_intent(payments.unit_of_work(), gateway, order_id=order)
    assert payments.state.intents[order].status == "succeeded"
    queued = [(e.event_type, e.payload["data"]["object"]["id"]) for e in payments.state.events.values()]
    assert queued == [("payment_intent.succeeded", record.payment_intent_id)]


async def test_cancelling_a_payment_intent_still_processing_is_tried_again_later(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    order = str(uuid.uuid4())
    record = await _ensure(payments, gateway, order)
    gateway.intents[record.payment_intent_id] = msgspec.structs.replace(
        gateway.intents[record.payment_intent_id], status="processing")
    with pytest.raises(PaymentStillProcessing):
        await cancel_payment_intent(payments.unit_of_work(), gateway, order_id=order)
    assert payments.state.events == {}


async def test_fetching_tells_what_stripe_says_now_and_records_it(
    payments: MemoryPayments, gateway: FakeGateway
) -> None:
    order = str(uuid.uuid4())
    assert await fetch_payment_intent(payments.unit_of_work(), gateway, order_id=order) is None
    record = await _ensure(payments, gateway, order)
    gateway.pay(record.payment_intent_id)
    fetched = await fetch_payment_intent(payments.unit_of_work(), gateway, order_id=order)
    assert fetched is not None and fetched.status == "succeeded"
    assert payments.state.intents[order].status == "succeeded"
