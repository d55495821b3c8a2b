"""The order: what a buyer is buying, what they paid and refunded, and the state machine that moves it.

Pure: every change returns a new `Order` together with the `Transition` that made it (for the audit
log and for the conditional `UPDATE ... WHERE status = <from>` that applies it in PostgreSQL).
Every allowed (from, trigger, to) is listed in `TRANSITIONS`; anything else raises `InvalidTransition`.

    pending_payment ─┬─ payment_succeeded ─────────────► paid ── refund_requested ──► refund_pending
    payment_failed  ─┤  (payment_failed again, still payable)                           │ refund_settled
                     ├─ expired / cancelled ──► expired | cancelled                     ▼
                     │                               │ late_payment_succeeded (same seats free) → paid
                     │                               └ late_payment_refund_owed (seats gone) → refund_pending
    refund_settled: paid | partially_refunded | refund_pending → refunded | partially_refunded | paid | refund_pending
    refund_recorded: a refund reported before the payment itself (out of order) is kept; status unchanged.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

import msgspec

from lml.ordering.domain.errors import InvalidTransition, NothingToRefund, PaymentMismatch, RefundTooLarge
from lml.platform.domain.principal import owner_key


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAYMENT_FAILED = "payment_failed"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class Trigger(StrEnum):
    CREATED = "created"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    LATE_PAYMENT_SUCCEEDED = "late_payment_succeeded"
    LATE_PAYMENT_REFUND_OWED = "late_payment_refund_owed"
    PAYMENT_FAILED = "payment_failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUND_REQUESTED = "refund_requested"
    REFUND_SETTLED = "refund_settled"
    REFUND_RECORDED = "refund_recorded"


S = OrderStatus
T = Trigger

# Awaiting payment: the order's seats are reserved in PostgreSQL and the buyer may (re)try paying.
AWAITING_PAYMENT = frozenset({S.PENDING_PAYMENT, S.PAYMENT_FAILED})
# Closed without payment: seats released. A payment that lands here anyway is a late payment.
CLOSED_UNPAID = frozenset({S.EXPIRED, S.CANCELLED})
# Money was received: a further success for the same order is a duplicate.
MONEY_RECEIVED = frozenset({S.PAID, S.REFUND_PENDING, S.REFUNDED, S.PARTIALLY_REFUNDED})
_SETTLEABLE = frozenset({S.PAID, S.PARTIALLY_REFUNDED, S.REFUND_PENDING})
# Still open: awaiting payment, or holding money that is not all back with the buyer. A cancelled
# show deals with exactly these (cancelled, or refunded in full).
OPEN = AWAITING_PAYMENT | _SETTLEABLE

TRANSITIONS: frozenset[tuple[OrderStatus, Trigger, OrderStatus]] = frozenset(
    {(a, T.PAYMENT_SUCCEEDED, S.PAID) for a in AWAITING_PAYMENT}
    | {(a, T.PAYMENT_FAILED, S.PAYMENT_FAILED) for a in AWAITING_PAYMENT}
    | {(a, T.EXPIRED, S.EXPIRED) for a in AWAITING_PAYMENT}
    | {(a, T.CANCELLED, S.CANCELLED) for a in AWAITING_PAYMENT}
    | {(c, T.LATE_PAYMENT_SUCCEEDED, S.PAID) for c in CLOSED_UNPAID}
    | {(c, T.LATE_PAYMENT_REFUND_OWED, S.REFUND_PENDING) for c in CLOSED_UNPAID}
    | {(p, T.REFUND_REQUESTED, S.REFUND_PENDING) for p in _SETTLEABLE}
    | {(p, T.REFUND_SETTLED, to) for p in _SETTLEABLE
       for to in (S.PAID, S.PARTIALLY_REFUNDED, S.REFUND_PENDING, S.REFUNDED)}
    | {(u, T.REFUND_RECORDED, u) for u in AWAITING_PAYMENT | CLOSED_UNPAID}
)

BuyerKind = Literal["user", "guest"]
RefundStatus = Literal["requested", "pending", "requires_action", "succeeded", "failed", "canceled"]
_OPEN_REFUND = frozenset({"requested", "pending", "requires_action"})
REFUND_STATUSES: frozenset[str] = frozenset({*_OPEN_REFUND, "succeeded", "failed", "canceled"})


class Buyer(msgspec.Struct, frozen=True, kw_only=True):
    """`phone` (E.164) is where the buyer asked for text messages. `email_verified` describes a caller,
    never a stored order: they proved they receive mail at `email` (a guest by a recovery link)."""

    kind: BuyerKind
    subject: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    email_verified: bool = False

    @property
    def owner(self) -> str:
        """Whose the order is (the same spelling as a hold's owner)."""
        return owner_key(self.kind, self.subject)

    @property
    def sees_guest_orders_of_email(self) -> bool:
        """A guest who proved their email sees every order placed by guests with it (not users' orders:
        an account is reached by logging in)."""
        return self.kind == "guest" and self.email_verified and bool(self.email)

    def may_see(self, buyer: Buyer) -> bool:
        """Whether this caller may see an order placed by `buyer`: their own, or any guest order of
        their email once they proved it."""
        if buyer.owner == self.owner:
            return True
        return (self.sees_guest_orders_of_email and buyer.kind == "guest" and buyer.email is not None
                and buyer.email.lower() == (self.email or "").lower())


class OrderLine(msgspec.Struct, frozen=True, kw_only=True):
    """One seat, or a quantity of one GA zone, at its tier's price and fees (minor units, per unit)."""

    tier_id: str
    tier_name: str
    unit_price: int
    unit_fee: int
    quantity: int = 1
    seat_id: str | None = None
    seat_label: str | None = None
    zone_id: str | None = None

    @property
    def total(self) -> int:
        return (self.unit_price + self.unit_fee) * self.quantity


class Refund(msgspec.Struct, frozen=True, kw_only=True):
    """A refund of (part of) the order's payment. `requested` is ours (not yet sent to Stripe);
    the others are Stripe's refund statuses. A final status (succeeded, failed, canceled) is kept."""

    refund_id: str
    amount: int
    status: RefundStatus
    reason: str | None = None
    failure_reason: str | None = None  # Stripe's, when it failed or refused
    # The tickets it gives back: void, their places back on sale, once it succeeds.
    ticket_ids: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN_REFUND

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def updated(self, status: RefundStatus, amount: int, failure_reason: str | None = None) -> Refund:
        if not self.is_open:
            return self
        return msgspec.structs.replace(self, status=status, amount=amount, failure_reason=failure_reason)


class Payment(msgspec.Struct, frozen=True, kw_only=True):
    payment_intent_id: str
    amount: int
    currency: str


class Transition(msgspec.Struct, frozen=True):
    trigger: Trigger
    from_status: OrderStatus
    to_status: OrderStatus


class Moved(msgspec.Struct, frozen=True):
    order: Order
    transition: Transition
    # The refunds this change added or updated: the only ones written back, so that a change never
    # rewrites a refund someone else settled meanwhile.
    changed_refunds: tuple[Refund, ...] = ()


class Order(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    organization_id: str
    show_id: str
    hold_id: str
    buyer: Buyer
    status: OrderStatus
    currency: str
    lines: tuple[OrderLine, ...]
    expires_at: datetime
    created_at: datetime
    # Kept from the catalog when the order is placed: a refund returns seats to sale only before it.
    show_starts_at: datetime
    # The show's limit of places per buyer when the order was placed: a late payment taking its places
    # back keeps to it too (None: placed before the limit was kept).
    buyer_limit: int | None = None
    payment_intent_id: str | None = None
    amount_paid: int = 0
    paid_at: datetime | None = None
    failure_reason: str | None = None
    refunds: tuple[Refund, ...] = ()
    # A late payment found its seats sold to someone else: this order never gets seats, only its money back.
    unseated: bool = False

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def amount_refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.succeeded)

    @property
    def refund_in_flight(self) -> int:
        return sum(r.amount for r in self.refunds if r.is_open)

    @property
    def refundable(self) -> int:
        """What an operator may still refund: paid, less what is refunded or on its way back."""
        return max(0, self.amount_paid - self.amount_refunded - self.refund_in_flight)

    @property
    def seat_ids(self) -> list[str]:
        return [line.seat_id for line in self.lines if line.seat_id is not None]

    @property
    def zones(self) -> dict[str, int]:
        zones: dict[str, int] = {}
        for line in self.lines:
            if line.zone_id is not None:
                zones[line.zone_id] = zones.get(line.zone_id, 0) + line.quantity
        return zones

    def _move(self, trigger: Trigger, to: OrderStatus, *, changed_refunds: tuple[Refund, ...] = (),
              **changes: object) -> Moved:
        if (self.status, trigger, to) not in TRANSITIONS:
            raise InvalidTransition(self.status.value, trigger.value)
        moved = msgspec.structs.replace(self, status=to, **changes)
        return Moved(moved, Transition(trigger, self.status, to), changed_refunds)

    def _with_refund(self, refund: Refund) -> tuple[Refund, ...]:
        """The order's refunds with `refund` added, or put in place of the one with its id."""
        if any(r.refund_id == refund.refund_id for r in self.refunds):
            return tuple(refund if r.refund_id == refund.refund_id else r for r in self.refunds)
        return (*self.refunds, refund)

    def _check_payment(self, payment: Payment) -> None:
        if payment.amount != self.total or payment.currency.upper() != self.currency:
            raise PaymentMismatch(
                f"Payment {payment.payment_intent_id} of {payment.amount} {payment.currency.upper()} does not match "
                f"the order's {self.total} {self.currency}"
            )

    def pay(self, payment: Payment, at: datetime) -> Moved:
        """The payment succeeded. Awaiting payment: the reserved seats become the buyer's. Expired or
        cancelled: only once the caller has reserved the same seats again (a late payment)."""
        self._check_payment(payment)
        trigger = T.LATE_PAYMENT_SUCCEEDED if self.status in CLOSED_UNPAID else T.PAYMENT_SUCCEEDED
        return self._move(trigger, S.PAID, payment_intent_id=payment.payment_intent_id,
                          amount_paid=payment.amount, paid_at=at, failure_reason=None)

    def late_refund_owed(self) -> int:
        """A late payment whose seats are gone is given back: what is not refunded already."""
        return max(0, self.total - self.amount_refunded - self.refund_in_flight)

    def refund_owed(self, payment: Payment, refund: Refund, at: datetime) -> Moved:
        """A late payment whose seats went to someone else: the money is owed back (`refund` requested)."""
        self._check_payment(payment)
        return self._move(T.LATE_PAYMENT_REFUND_OWED, S.REFUND_PENDING, payment_intent_id=payment.payment_intent_id,
                          amount_paid=payment.amount, paid_at=at, refunds=self._with_refund(refund), unseated=True,
                          changed_refunds=(refund,))

    def fail_payment(self, reason: str) -> Moved:
        return self._move(T.PAYMENT_FAILED, S.PAYMENT_FAILED, failure_reason=reason[:500])

    def is_due(self, now: datetime) -> bool:
        return self.status in AWAITING_PAYMENT and now >= self.expires_at

    def expire(self) -> Moved:
        return self._move(T.EXPIRED, S.EXPIRED)

    def cancel(self) -> Moved:
        return self._move(T.CANCELLED, S.CANCELLED)

    def refund_amount(self, requested: int | None) -> int:
        """The amount of an operator's refund: all that is left when none is named, never more."""
        refundable = self.refundable
        if self.status not in _SETTLEABLE or refundable == 0:
            raise NothingToRefund()
        if requested is None:
            return refundable
        if requested > refundable:
            raise RefundTooLarge(refundable)
        return requested

    def request_refund(self, refund: Refund) -> Moved:
        if refund.amount <= 0 or refund.amount > self.refundable:
            raise RefundTooLarge(self.refundable)
        return self._move(T.REFUND_REQUESTED, S.REFUND_PENDING, refunds=self._with_refund(refund),
                          changed_refunds=(refund,))

    def record_refund(
        self, refund_id: str, amount: int, status: RefundStatus, failure_reason: str | None = None
    ) -> Moved | None:
        """A refund's news (from Stripe): kept, then the paid order's status follows from its refunds.
        An unpaid order keeps its status: the refund arrived before the payment (out of order).
        None when it is no news (a repeat, or a stale report about a refund that is final)."""
        known = next((r for r in self.refunds if r.refund_id == refund_id), None)
        refund = known.updated(status, amount, failure_reason) if known else Refund(
            refund_id=refund_id, amount=amount, status=status, failure_reason=failure_reason)
        if refund == known:
            return None
        with_refund = msgspec.structs.replace(self, refunds=self._with_refund(refund))
        if self.status in MONEY_RECEIVED:
            return with_refund.settle_refunds(changed_refunds=(refund,))
        return with_refund._move(T.REFUND_RECORDED, self.status, changed_refunds=(refund,))

    def settle_refunds(self, *, changed_refunds: tuple[Refund, ...] = ()) -> Moved:
        """The status the refunds call for: all the money back → refunded; one still open, or money still
        owed for an order without seats (its refund failed: an operator refunds again) → refund_pending;
        some back → partially_refunded; none (every refund failed) → paid."""
        if self.amount_paid > 0 and self.amount_refunded >= self.amount_paid:
            to = S.REFUNDED
        elif self.refund_in_flight > 0 or self.unseated:
            to = S.REFUND_PENDING
        elif self.amount_refunded > 0:
            to = S.PARTIALLY_REFUNDED
        else:
            to = S.PAID
        return self._move(T.REFUND_SETTLED, to, changed_refunds=changed_refunds)


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` over `weights` proportionally, in whole minor units that add up exactly
    (largest remainder), e.g. a partial refund over the tiers of an order's lines."""
    total = sum(weights)
    if total <= 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares
