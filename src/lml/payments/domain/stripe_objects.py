"""Stripe's PaymentIntent and Refund objects, reduced to what payments uses. The same reading serves
API responses and webhook payloads, so a webhook and a reconciliation see one PaymentIntent alike."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from lml.payments.domain.errors import MalformedWebhookEvent

_T = TypeVar("_T")


class PaymentIntentSnapshot(msgspec.Struct, frozen=True):
    id: str
    status: str
    amount: int
    amount_received: int
    currency: str  # upper case, as in our API
    metadata: dict[str, str]
    client_secret: str | None = None
    latest_charge_id: str | None = None
    failure_reason: str | None = None

    @property
    def order_id(self) -> str | None:
        return order_id_in(self.metadata)


class RefundSnapshot(msgspec.Struct, frozen=True):
    id: str
    status: str
    amount: int
    currency: str  # upper case
    payment_intent_id: str | None
    metadata: dict[str, str]
    failure_reason: str | None = None

    @property
    def order_id(self) -> str | None:
        return order_id_in(self.metadata)

    @property
    def our_refund_id(self) -> str | None:
        return _uuid_or_none(self.metadata.get("refund_id"))


def order_id_in(metadata: Mapping[str, str]) -> str | None:
    """The order id we put in the metadata; anything else there (another system's ids) is not ours."""
    return _uuid_or_none(metadata.get("order_id"))


def _uuid_or_none(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


# Stripe's own shapes (only the fields read here; the rest is ignored).
class _Ref(msgspec.Struct):
    id: str


class _Error(msgspec.Struct):
    message: str | None = None
    code: str | None = None


class _PaymentIntent(msgspec.Struct):
    id: str
    status: str
    amount: int
    currency: str
    amount_received: int | None = None
    metadata: dict[str, str] | None = None
    client_secret: str | None = None
    # An id in Stripe's API, the expanded charge in some payloads (and in the emulator's).
    latest_charge: str | _Ref | None = None
    last_payment_error: _Error | None = None


class _Refund(msgspec.Struct):
    id: str
    status: str
    amount: int
    currency: str
    payment_intent: str | _Ref | None = None
    metadata: dict[str, str] | None = None
    failure_reason: str | None = None


class _RefundList(msgspec.Struct):
    data: list[dict[str, Any]]


class _Charge(msgspec.Struct):
    id: str
    payment_intent: str | _Ref | None = None
    # Present in older API versions' payloads only; newer ones send refund.* events instead.
    refunds: _RefundList | None = None


def payment_intent_from_stripe(obj: Mapping[str, Any]) -> PaymentIntentSnapshot:
    pi = _convert(obj, _PaymentIntent)
    received = pi.amount_received
    if received is None:
        received = pi.amount if pi.status == "succeeded" else 0
    error = pi.last_payment_error
    return PaymentIntentSnapshot(
        id=pi.id,
        status=pi.status,
        amount=pi.amount,
        amount_received=received,
        currency=pi.currency.upper(),
        metadata=pi.metadata or {},
        client_secret=pi.client_secret,
        latest_charge_id=_id_of(pi.latest_charge),
        failure_reason=(error.message or error.code) if error else None,
    )


def refund_from_stripe(obj: Mapping[str, Any], *, payment_intent_id: str | None = None) -> RefundSnapshot:
    refund = _convert(obj, _Refund)
    return RefundSnapshot(
        id=refund.id,
        status=refund.status,
        amount=refund.amount,
        currency=refund.currency.upper(),
        payment_intent_id=_id_of(refund.payment_intent) or payment_intent_id,
        metadata=refund.metadata or {},
        failure_reason=refund.failure_reason,
    )


def refunds_of_charge(obj: Mapping[str, Any]) -> list[RefundSnapshot]:
    """The refunds listed in a charge (empty when the payload does not list them)."""
    charge = _convert(obj, _Charge)
    if charge.refunds is None:
        return []
    payment_intent_id = _id_of(charge.payment_intent)
    return [refund_from_stripe(item, payment_intent_id=payment_intent_id) for item in charge.refunds.data]


def payment_intent_to_stripe(pi: PaymentIntentSnapshot) -> dict[str, Any]:
    """Stripe's shape of a PaymentIntent (without its client secret), for events built by reconciliation."""
    return {
        "id": pi.id,
        "object": "payment_intent",
        "status": pi.status,
        "amount": pi.amount,
        "amount_received": pi.amount_received,
        "currency": pi.currency.lower(),
        "metadata": dict(pi.metadata),
        "latest_charge": pi.latest_charge_id,
        "last_payment_error": {"message": pi.failure_reason} if pi.failure_reason else None,
    }


def _id_of(ref: str | _Ref | None) -> str | None:
    return ref.id if isinstance(ref, _Ref) else ref


def _convert(obj: Mapping[str, Any], kind: type[_T]) -> _T:
    try:
        return msgspec.convert(obj, kind)
    except msgspec.ValidationError as exc:
        raise MalformedWebhookEvent(f"Unexpected {kind.__name__.lstrip('_')} object: {exc}") from None
