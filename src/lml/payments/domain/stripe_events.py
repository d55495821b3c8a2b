"""Stripe events: reading a webhook body, and what each event type means for an order."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from lml.payments.domain.errors import MalformedWebhookEvent
from lml.payments.domain.stripe_objects import (
    PaymentIntentSnapshot,
    RefundSnapshot,
    payment_intent_from_stripe,
    payment_intent_to_stripe,
    refund_from_stripe,
    refunds_of_charge,
)

PAYMENT_SUCCEEDED = "payment_intent.succeeded"
PAYMENT_FAILED = "payment_intent.payment_failed"
CHARGE_REFUNDED = "charge.refunded"
REFUND_CREATED = "refund.created"
REFUND_UPDATED = "refund.updated"
# Everything else is stored (the inbox keeps what Stripe sent) and marked ignored.
LAST_UNIX_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z
HANDLED_TYPES = frozenset({PAYMENT_SUCCEEDED, PAYMENT_FAILED, CHARGE_REFUNDED, REFUND_CREATED, REFUND_UPDATED})


class StripeEvent(msgspec.Struct, frozen=True):
    """An event as stored in the inbox: `payload` is Stripe's event without secrets."""

    id: str
    type: str
    payload: dict[str, Any]
    created: int | None = None

    @property
    def handled(self) -> bool:
        return self.type in HANDLED_TYPES

    @property
    def object(self) -> dict[str, Any]:
        return self.payload["data"]["object"]  # type: ignore[no-any-return]


class EventData(msgspec.Struct):
    object: Annotated[dict[str, Any], msgspec.Meta(description="The Stripe object the event is about",
                                                   examples=[{"id": "pi_3PqR2sLkdIwHu7ix0b1c2d3e",
                                                              "object": "payment_intent"}])]


class EventEnvelope(msgspec.Struct):
    """A Stripe event object, as far as it is read; its other members are kept as sent."""

    id: Annotated[str, msgspec.Meta(min_length=1, examples=["evt_3PqR2sLkdIwHu7ix1a2b3c4d"])]
    type: Annotated[str, msgspec.Meta(min_length=1, examples=[PAYMENT_SUCCEEDED])]
    data: EventData
    # When Stripe made it, in Unix seconds: stored as a time, so one of years 1970 to 9999.
    created: Annotated[int, msgspec.Meta(ge=0, le=LAST_UNIX_SECOND, examples=[1795683697])] | None = None


def parse_event(body: bytes) -> StripeEvent:
    try:
        payload = msgspec.json.decode(body)
        event = msgspec.convert(payload, EventEnvelope, strict=False)  # as every body: 1.0 is the integer 1
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MalformedWebhookEvent(f"The body is not a Stripe event: {exc}") from None
    # A PaymentIntent's client secret lets its holder confirm the payment: not kept in the inbox.
    payload["data"]["object"].pop("client_secret", None)
    return StripeEvent(id=event.id, type=event.type, payload=payload, created=event.created)


class PaymentSucceeded(msgspec.Struct, frozen=True):
    payment_intent: PaymentIntentSnapshot


class PaymentFailed(msgspec.Struct, frozen=True):
    payment_intent: PaymentIntentSnapshot

    @property
    def reason(self) -> str:
        return self.payment_intent.failure_reason or "The payment failed"


class RefundChanged(msgspec.Struct, frozen=True):
    refund: RefundSnapshot


Outcome = PaymentSucceeded | PaymentFailed | RefundChanged


def outcomes_of(event: StripeEvent) -> list[Outcome]:
    """What a handled event says happened (an empty list for an unhandled type)."""
    obj = event.object
    if event.type == PAYMENT_SUCCEEDED:
        return [PaymentSucceeded(payment_intent_from_stripe(obj))]
    if event.type == PAYMENT_FAILED:
        return [PaymentFailed(payment_intent_from_stripe(obj))]
    if event.type in (REFUND_CREATED, REFUND_UPDATED):
        return [RefundChanged(refund_from_stripe(obj))]
    if event.type == CHARGE_REFUNDED:
        return [RefundChanged(refund) for refund in refunds_of_charge(obj)]
    return []


def reconciliation_event(pi: PaymentIntentSnapshot) -> StripeEvent | None:
    """The event a lost webhook would have carried for what Stripe now says, or None when there is
    nothing to apply. Its id is stable per outcome, so reconciling again stores it only once."""
    if pi.status == "succeeded":
        event_id, event_type = f"reconciliation:{pi.id}:succeeded", PAYMENT_SUCCEEDED
    elif pi.status == "requires_payment_method" and pi.failure_reason:
        # One failure per charge: a later attempt that fails again is another event.
        event_id, event_type = f"reconciliation:{pi.id}:payment_failed:{pi.latest_charge_id}", PAYMENT_FAILED
    else:
        return None
    payload = {"id": event_id, "object": "event", "type": event_type, "data": {"object": payment_intent_to_stripe(pi)}}
    return StripeEvent(id=event_id, type=event_type, payload=payload)
