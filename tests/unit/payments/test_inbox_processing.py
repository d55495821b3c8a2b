"""The inbox on fakes: each event stored once, applied once, retried with backoff, then dead."""

from __future__ import annotations

import json
import uuid
from typing import Any

from lml.payments.application.admin_events import list_events, retry_event
from lml.payments.application.ensure_payment_intent import ensure_payment_intent
from lml.payments.application.process_events import process_due_events
from lml.payments.application.receive_webhook import receive_webhook
from lml.payments.application.testing import FakeGateway, MemoryPayments
from tests.fixtures.payments import payment_intent_object, refund_object, stripe_event, stripe_signature
from tests.timing import TestClock

SECRET = "whsec_unit"


async def _receive(payments: MemoryPayments, clock: TestClock, event: dict[str, Any]) -> bool:
    body = json.dumps(event).encode()
    signature = stripe_signature(body, SECRET, int(clock.now().timestamp()))
    return await receive_webhook(payments.store_event, body=body, signature=signature, secrets=[SECRET],
                                 now=clock.now())


async def _process(payments: MemoryPayments, clock: TestClock, max_attempts: int = 10) -> int:
    return await process_due_events(payments.unit_of_work(), clock=clock, max_attempts=max_attempts)


async def test_the_same_event_delivered_ten_times_is_stored_once_and_applied_once(
    payments: MemoryPayments, clock: TestClock
) -> None:
    order = str(uuid.uuid4())
    event = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=order, amount=2500))
    stored = [await _receive(payments, clock, event) for _ in range(10)]
    assert stored == [True] + [False] * 9
    assert await _process(payments, clock) == 1
    assert await _process(payments, clock) == 0
    assert payments.orders.named("record_payment_succeeded") == [
        {"order_id": order, "payment_intent_id": event["data"]["object"]["id"], "amount_received": 2500,
         "currency": "USD"}]
    assert payments.state.events[event["id"]].status == "processed"


async def test_an_unknown_event_type_is_recorded_as_ignored_and_never_applied(
    payments: MemoryPayments, clock: TestClock
) -> None:
    event = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    assert await _receive(payments, clock, event)
    assert await _process(payments, clock) == 0
    entry = payments.state.events[event["id"]]
    assert (entry.status, entry.note) == ("ignored", "customer.created events are not handled")
    assert payments.orders.calls == []


async def test_a_payment_for_none_of_our_orders_is_ignored_with_the_reason(
    payments: MemoryPayments, clock: TestClock
) -> None:
    event = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=None, pi_id="pi_elsewhere"))
    await _receive(payments, clock, event)
    await _process(payments, clock)
    entry = payments.state.events[event["id"]]
    assert entry.status == "ignored"
    assert entry.note == "PaymentIntent pi_elsewhere is not for one of our orders"


async def test_a_payment_naming_an_order_that_does_not_exist_here_is_ignored_not_retried(
    payments: MemoryPayments, clock: TestClock
) -> None:
    stranger = str(uuid.uuid4())  # a staging copy sharing the Stripe account puts its own order ids there
    payments.orders.missing.add(stranger)
    event = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=stranger, pi_id="pi_staging"))
    await _receive(payments, clock, event)
    await _process(payments, clock)
    entry = payments.state.events[event["id"]]
    assert (entry.status, entry.attempts) == ("ignored", 1)
    assert entry.note == f"PaymentIntent pi_staging names order {stranger}, which does not exist here"


async def test_a_failing_event_is_retried_with_growing_delays_then_dead_and_an_admin_retry_applies_it(
    payments: MemoryPayments, clock: TestClock
) -> None:
    order = str(uuid.uuid4())
    event = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=order))
    await _receive(payments, clock, event)
    payments.orders.failures = 3
    delays = []
    for attempt in range(1, 4):
        assert await _process(payments, clock, max_attempts=3) == 1
        entry = payments.state.events[event["id"]]
        assert entry.attempts == attempt
        assert entry.last_error == "RuntimeError: ordering failed on record_payment_succeeded"
        delays.append((entry.next_attempt_at - clock.now()).total_seconds())
        assert await _process(payments, clock, max_attempts=3) == 0  # not due yet
        clock.advance(seconds=3600)
    assert payments.state.events[event["id"]].status == "dead"
    assert await _process(payments, clock, max_attempts=3) == 0
    assert all(0 < delay <= 2 ** (n - 1) for n, delay in enumerate(delays[:-1], start=1))

    dead = await list_events(payments.unit_of_work(), status="dead", cursor=None, limit=10)
    assert [e.event_id for e in dead.items] == [event["id"]]
    revived = await retry_event(payments.unit_of_work(), event_id=event["id"], now=clock.now())
    assert (revived.status, revived.attempts) == ("pending", 0)
    assert await _process(payments, clock) == 1
    assert payments.state.events[event["id"]].status == "processed"
    assert len(payments.orders.named("record_payment_succeeded")) == 1


async def test_events_applied_together_fail_alone(payments: MemoryPayments, clock: TestClock) -> None:
    orders = [str(uuid.uuid4()) for _ in range(3)]
    events = [stripe_event("payment_intent.succeeded", payment_intent_object(order_id=order, pi_id=f"pi_{n}"))
              for n, order in enumerate(orders)]
    for event in events:
        await _receive(payments, clock, event)
    payments.orders.failures = 1  # the first event's call to ordering

    assert await _process(payments, clock) == 3

    assert [payments.state.events[e["id"]].status for e in events] == ["pending", "processed", "processed"]
    assert payments.state.events[events[0]["id"]].attempts == 1
    assert [c["order_id"] for c in payments.orders.named("record_payment_succeeded")] == orders[1:]


async def test_a_stored_payload_that_cannot_be_read_is_dead_at_once(
    payments: MemoryPayments, clock: TestClock
) -> None:
    event = stripe_event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    await _receive(payments, clock, event)
    await _process(payments, clock)
    entry = payments.state.events[event["id"]]
    assert (entry.status, entry.attempts) == ("dead", 1)
    assert entry.last_error is not None and entry.last_error.startswith("MalformedWebhookEvent")


async def test_a_refund_reported_before_the_payment_still_reaches_ordering_with_our_refund_id(
    payments: MemoryPayments, clock: TestClock, gateway: FakeGateway
) -> None:
    order = str(uuid.uuid4())
    record = await ensure_payment_intent(payments.unit_of_work(), gateway, order_id=order, show_id=str(uuid.uuid4()),
                                         amount=3000, currency="usd")
    pi = payment_intent_object(order_id=order, pi_id=record.payment_intent_id, amount=3000)
    refund = refund_object(payment_intent_id=record.payment_intent_id, amount=3000)
    await _receive(payments, clock, stripe_event("refund.created", refund, created=200))
    await _receive(payments, clock, stripe_event("payment_intent.succeeded", pi, created=100))
    assert await _process(payments, clock) == 2
    names = [name for name, _ in payments.orders.calls]
    assert names == ["record_refund", "record_payment_succeeded"]
    [adopted] = payments.state.refunds.values()
    assert adopted.stripe_refund_id == refund["id"]
    assert payments.orders.named("record_refund")[0] == {
        "order_id": order, "refund_id": adopted.id, "amount_refunded": 3000, "status": "succeeded"}


async def test_the_admin_list_pages_newest_first_with_a_cursor(payments: MemoryPayments, clock: TestClock) -> None:
    ids = []
    for _ in range(5):
        event = stripe_event("customer.created", {"id": "cus_1"})
        ids.append(event["id"])
        await _receive(payments, clock, event)
    first = await list_events(payments.unit_of_work(), status=None, cursor=None, limit=2)
    second = await list_events(payments.unit_of_work(), status=None, cursor=first.next_cursor, limit=2)
    third = await list_events(payments.unit_of_work(), status=None, cursor=second.next_cursor, limit=2)
    assert [e.event_id for page in (first, second, third) for e in page.items] == ids[::-1]
    assert third.next_cursor is None
