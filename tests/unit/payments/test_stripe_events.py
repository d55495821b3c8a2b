"""Reading Stripe's events and objects: what each handled event type means for an order."""

from __future__ import annotations

import json
import uuid

import pytest

from lml.payments.domain.errors import MalformedWebhookEvent
from lml.payments.domain.stripe_events import (
    PaymentFailed,
    PaymentSucceeded,
    RefundChanged,
    StripeEvent,
    outcomes_of,
    parse_event,
    reconciliation_event,
)
from lml.payments.domain.stripe_objects import PaymentIntentSnapshot, payment_intent_from_stripe
from tests.fixtures.payments import payment_intent_object, refund_object, stripe_event

ORDER = str(uuid.uuid4())


def _event(event_type: str, obj: dict[str, object]) -> StripeEvent:
    return parse_event(json.dumps(stripe_event(event_type, obj)).encode())


def test_an_event_keeps_id_type_and_creation_time_and_drops_the_client_secret() -> None:
    body = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=ORDER), event_id="evt_42",
                        created=1_800_000_000)
    event = parse_event(json.dumps(body).encode())
    assert (event.id, event.type, event.created) == ("evt_42", "payment_intent.succeeded", 1_800_000_000)
    assert "client_secret" not in event.object
    assert event.object["metadata"]["order_id"] == ORDER


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"id": "evt_1"}', b'{"id": "evt_1", "type": "x", "data": {}}',
     b'{"id": "", "type": "x", "data": {"object": {}}}', b'{"id": 1, "type": "x", "data": {"object": {}}}',
     # A creation time no time can hold (it was a 500 when stored).
     b'{"id": "evt_1", "type": "x", "data": {"object": {}}, "created": 140714096952983}',
     b'{"id": "evt_1", "type": "x", "data": {"object": {}}, "created": -1}'],
)
def test_a_body_that_is_not_a_stripe_event_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedWebhookEvent):
        parse_event(body)


def test_a_success_gives_the_amount_received_in_upper_case_currency() -> None:
    [outcome] = outcomes_of(_event("payment_intent.succeeded", payment_intent_object(order_id=ORDER, amount=4200)))
    assert isinstance(outcome, PaymentSucceeded)
    assert outcome.payment_intent.order_id == ORDER
    assert (outcome.payment_intent.amount_received, outcome.payment_intent.currency) == (4200, "USD")


def test_the_emulators_payment_intent_with_an_expanded_charge_and_no_amount_received_reads_alike() -> None:
    obj = payment_intent_object(order_id=ORDER, amount=1500)
    del obj["amount_received"]
    obj["latest_charge"] = {"id": "ch_1", "object": "charge", "amount": 1500, "refunds": {"data": []}}
    pi = payment_intent_from_stripe(obj)
    assert (pi.amount_received, pi.latest_charge_id) == (1500, "ch_1")


def test_a_failure_carries_stripes_reason() -> None:
    obj = payment_intent_object(order_id=ORDER, status="requires_payment_method", failure="Your card was declined.")
    [outcome] = outcomes_of(_event("payment_intent.payment_failed", obj))
    assert isinstance(outcome, PaymentFailed)
    assert outcome.reason == "Your card was declined."


def test_a_failure_without_a_reason_still_says_the_payment_failed() -> None:
    obj = payment_intent_object(order_id=ORDER, status="requires_payment_method")
    [outcome] = outcomes_of(_event("payment_intent.payment_failed", obj))
    assert isinstance(outcome, PaymentFailed)
    assert outcome.reason == "The payment failed"


@pytest.mark.parametrize("event_type", ["refund.created", "refund.updated"])
def test_a_refund_event_gives_that_refunds_amount_and_status(event_type: str) -> None:
    obj = refund_object(payment_intent_id="pi_1", amount=700, status="pending", metadata={"order_id": ORDER})
    [outcome] = outcomes_of(_event(event_type, obj))
    assert isinstance(outcome, RefundChanged)
    assert (outcome.refund.amount, outcome.refund.status, outcome.refund.payment_intent_id) == (700, "pending", "pi_1")
    assert outcome.refund.order_id == ORDER


def test_a_refunded_charge_gives_each_refund_it_lists() -> None:
    charge = {
        "id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 900,
        "refunds": {"data": [refund_object(payment_intent_id="pi_1", amount=400),
                             {**refund_object(payment_intent_id="pi_1", amount=500), "payment_intent": None}]},
    }
    outcomes = outcomes_of(_event("charge.refunded", charge))
    assert [(o.refund.amount, o.refund.payment_intent_id) for o in outcomes if isinstance(o, RefundChanged)] == [
        (400, "pi_1"), (500, "pi_1")]


def test_a_refunded_charge_that_lists_no_refunds_gives_nothing_to_apply() -> None:
    assert outcomes_of(_event("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": "pi_1"})) == []


def test_an_unhandled_type_is_recognized_and_gives_nothing() -> None:
    event = _event("customer.created", {"id": "cus_1", "object": "customer"})
    assert not event.handled
    assert outcomes_of(event) == []


def test_metadata_that_is_not_one_of_our_order_ids_names_no_order() -> None:
    pi = payment_intent_from_stripe({**payment_intent_object(order_id=None), "metadata": {"order_id": "12; DROP"}})
    assert pi.order_id is None


def test_a_payment_intent_missing_required_fields_is_malformed() -> None:
    with pytest.raises(MalformedWebhookEvent):
        outcomes_of(_event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"}))


def _pi(status: str, failure: str | None = None) -> PaymentIntentSnapshot:
    return PaymentIntentSnapshot(id="pi_9", status=status, amount=800, amount_received=800 if status == "succeeded"
                                 else 0, currency="EUR", metadata={"order_id": ORDER}, latest_charge_id="ch_9",
                                 failure_reason=failure)


def test_reconciling_a_succeeded_payment_intent_makes_the_event_a_webhook_would_have_carried() -> None:
    event = reconciliation_event(_pi("succeeded"))
    assert event is not None
    assert (event.id, event.type) == ("reconciliation:pi_9:succeeded", "payment_intent.succeeded")
    [outcome] = outcomes_of(event)
    assert outcome == PaymentSucceeded(payment_intent_from_stripe(event.object))
    assert (outcome.payment_intent.order_id, outcome.payment_intent.amount_received) == (ORDER, 800)
    assert outcome.payment_intent.currency == "EUR"


def test_reconciling_a_failed_payment_intent_makes_one_event_per_failed_charge() -> None:
    event = reconciliation_event(_pi("requires_payment_method", "Your card was declined."))
    assert event is not None
    assert event.id == "reconciliation:pi_9:payment_failed:ch_9"
    [outcome] = outcomes_of(event)
    assert isinstance(outcome, PaymentFailed) and outcome.reason == "Your card was declined."


@pytest.mark.parametrize("status", ["requires_payment_method", "requires_confirmation", "processing", "canceled"])
def test_reconciling_a_payment_intent_still_in_progress_makes_no_event(status: str) -> None:
    assert reconciliation_event(_pi(status)) is None
