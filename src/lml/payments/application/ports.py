"""What the payments use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

import msgspec

from lml.payments.domain.inbox import EventSource, InboxEntry, InboxStatus
from lml.payments.domain.payment import PaymentRecord, Refund
from lml.payments.domain.stripe_events import StripeEvent
from lml.payments.domain.stripe_objects import PaymentIntentSnapshot, RefundSnapshot


class PaymentGateway(Protocol):
    """Stripe. Raises PaymentProviderUnavailable when it cannot be reached (or fails on its side),
    PaymentProviderRejected when it refuses the request."""

    async def create_payment_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> PaymentIntentSnapshot: ...

    async def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentSnapshot: ...

    async def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentSnapshot: ...

    async def create_refund(
        self, *, payment_intent_id: str, amount: int, metadata: Mapping[str, str], idempotency_key: str
    ) -> RefundSnapshot: ...

    async def list_refunds(self, payment_intent_id: str) -> list[RefundSnapshot]: ...


class PaymentRecords(Protocol):
    async def lock_order(self, order_id: str, *, across_provider_call: bool = False) -> None:
        """Serialize work on one order's payment until the transaction ends. With
        `across_provider_call`, the lock may be held (and waited for) during a call to Stripe."""

    async def locked(self, order_id: str, *, across_provider_call: bool = False) -> PaymentRecord | None:
        """`lock_order`, then `get`, as they would one after the other (the record as the lock left it)."""

    async def get(self, order_id: str) -> PaymentRecord | None: ...

    async def by_payment_intent(self, payment_intent_id: str) -> PaymentRecord | None: ...

    async def add(self, record: PaymentRecord) -> None:
        """Kept when the unit of work commits (and only then seen by reads)."""

    async def report_status(self, payment_intent_id: str, reported: str) -> PaymentRecord | None:
        """Record the status Stripe reports for the PaymentIntent, unless the one recorded is terminal
        (`next_status`); our record of it, None when the PaymentIntent is not ours."""


class RefundRecords(Protocol):
    async def for_order(self, order_id: str) -> list[Refund]: ...

    async def lock(self, refund_id: str) -> Refund | None: ...

    async def by_stripe_id(self, stripe_refund_id: str) -> Refund | None: ...

    async def add(self, refund: Refund) -> None: ...

    async def save(self, refund: Refund) -> None:
        """Record a refund's Stripe id, status and failure reason."""


class EventInbox(Protocol):
    async def add(
        self, event: StripeEvent, *, source: EventSource, status: InboxStatus, note: str | None
    ) -> bool:
        """Store the event unless its id is already stored; True if it was new."""

    async def claim_due(self, now: datetime, limit: int) -> list[InboxEntry]:
        """Up to `limit` due pending events, oldest due first, locked until the transaction ends; skips
        events locked by others."""

    async def finish(self, event_id: str, *, status: InboxStatus, note: str | None, now: datetime) -> None:
        """The event's outcome, kept when the unit of work commits (and only then seen by reads)."""

    async def fail(
        self, event_id: str, *, attempts: int, error: str, next_attempt_at: datetime, dead: bool
    ) -> None: ...

    async def page(self, *, status: InboxStatus | None, before_seq: int | None, limit: int) -> list[InboxEntry]:
        """Newest first, older than `before_seq` when given."""

    async def get(self, event_id: str) -> InboxEntry | None: ...

    async def revive(self, event_id: str, now: datetime) -> InboxEntry | None:
        """A dead event back to pending with its attempts reset; None if it is not dead."""


class OrderPayments(Protocol):
    """Ordering, in the same transaction as the payments change that tells it something."""

    async def record_payment_succeeded(
        self, *, order_id: str, payment_intent_id: str, amount_received: int, currency: str
    ) -> None: ...

    async def record_payment_failed(self, *, order_id: str, payment_intent_id: str, reason: str) -> None: ...

    async def record_refund(
        self, *, order_id: str, refund_id: str, amount_refunded: int, status: str, failure_reason: str | None = None
    ) -> None: ...

    async def orders_awaiting_payment(self, *, older_than_seconds: int, limit: int) -> list[str]: ...


class PaymentsUnitOfWork(Protocol):
    @property
    def intents(self) -> PaymentRecords: ...

    @property
    def refunds(self) -> RefundRecords: ...

    @property
    def inbox(self) -> EventInbox: ...

    @property
    def orders(self) -> OrderPayments: ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: leaving it with an exception undoes only what was done inside."""

    async def publish(self, event: msgspec.Struct) -> None:
        """Record an integration event (the outbox) in this transaction."""

    async def commit(self) -> None: ...


class StoreEvent(Protocol):
    async def __call__(
        self, event: StripeEvent, *, source: EventSource, status: InboxStatus, note: str | None
    ) -> bool:
        """`EventInbox.add` in a transaction of its own, committed when it returns."""


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[PaymentsUnitOfWork]: ...
