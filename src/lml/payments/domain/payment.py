"""An order's PaymentIntent as we recorded it, and the refunds made against it."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from lml.payments.domain.errors import InvalidRefundAmount
from lml.platform.domain.errors import FieldError

# Stripe never moves a PaymentIntent out of these; a late or replayed event must not either.
TERMINAL_STATUSES = frozenset({"succeeded", "canceled"})
# A refund in one of these no longer counts against what is left to refund.
VOID_REFUND_STATUSES = frozenset({"failed", "canceled", "rejected"})


class PaymentRecord(msgspec.Struct, frozen=True):
    order_id: str
    show_id: str
    payment_intent_id: str
    client_secret: str
    status: str
    amount: int
    currency: str

    def matches(self, *, amount: int, currency: str) -> bool:
        return self.amount == amount and self.currency == currency.upper()


def next_status(current: str, reported: str) -> str:
    """The status to record when Stripe reports `reported` for a PaymentIntent recorded as `current`:
    events arrive out of order, so a terminal status stays."""
    return current if current in TERMINAL_STATUSES else reported


class Refund(msgspec.Struct, frozen=True):
    id: str
    order_id: str
    seq: int  # 1, 2, ... per order: part of the idempotency key
    payment_intent_id: str
    amount: int
    currency: str
    reason: str
    status: str = "requested"
    stripe_refund_id: str | None = None
    failure_reason: str | None = None

    @property
    def idempotency_key(self) -> str:
        """Derived from the order, so that a retried request (another process, days later) is the same refund."""
        return f"refund:{self.order_id}:{self.seq}"

    @property
    def counts(self) -> bool:
        return self.status not in VOID_REFUND_STATUSES


def check_refund_amount(amount: int, *, paid: int, refunds: Iterable[Refund]) -> None:
    """A refund is positive and never takes the refunds of one payment beyond what was paid."""
    if amount <= 0:
        raise InvalidRefundAmount([FieldError("/amount", "must be a positive number of minor units")])
    left = paid - sum(refund.amount for refund in refunds if refund.counts)
    if amount > left:
        raise InvalidRefundAmount([FieldError("/amount", f"must not exceed {left}, the amount left to refund")])


# A refund that Stripe settled one way or the other, or refused: that outcome is kept (PostgreSQL
# refuses to change it too); a late report does not reopen it.
FINAL_REFUND_STATUSES = frozenset({"succeeded", "failed", "canceled", "rejected"})


def contradicts(current: str, reported: str) -> bool:
    """Stripe reports another outcome for a refund already settled (e.g. a bank returned a refund
    that had succeeded): the money moved again and a person must look at it."""
    return current in FINAL_REFUND_STATUSES and reported not in (current, "pending")
