"""In-memory fakes of payments' ports, for the use cases' unit tests (and tested themselves)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec

from lml.payments.application.ports import PaymentsUnitOfWork, UnitOfWorkFactory
from lml.payments.domain.errors import PaymentProviderRejected, PaymentProviderUnavailable
from lml.payments.domain.inbox import EventSource, InboxEntry, InboxStatus
from lml.payments.domain.payment import PaymentRecord, Refund, next_status
from lml.payments.domain.stripe_events import StripeEvent
from lml.payments.domain.stripe_objects import PaymentIntentSnapshot, RefundSnapshot
from lml.platform.domain.errors import NotFound

_CANCELLABLE = {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"}


class FakeGateway:
    """A Stripe that keeps its objects in dicts; `reachable = False` makes every call fail as a
    network failure would. `calls` lists the operations asked for, in order."""

    def __init__(self) -> None:
        self.intents: dict[str, PaymentIntentSnapshot] = {}
        self.refunds: dict[str, RefundSnapshot] = {}
        self.reachable = True
        self.calls: list[str] = []
        self._ids = itertools.count(1)

    def _call(self, operation: str) -> None:
        self.calls.append(operation)
        if not self.reachable:
            raise PaymentProviderUnavailable()

    async def create_payment_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> PaymentIntentSnapshot:
        self._call("create_payment_intent")
        pi_id = f"pi_fake{next(self._ids)}"
        pi = PaymentIntentSnapshot(
            id=pi_id, status="requires_payment_method", amount=amount, amount_received=0,
            currency=currency.upper(), metadata=dict(metadata), client_secret=f"{pi_id}_secret_fake",
        )
        self.intents[pi_id] = pi
        return pi

    async def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentSnapshot:
        self._call("retrieve_payment_intent")
        return self.intents[payment_intent_id]

    async def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentSnapshot:
        self._call("cancel_payment_intent")
        pi = self.intents[payment_intent_id]
        if pi.status not in _CANCELLABLE:
            raise PaymentProviderRejected()
        self.intents[pi.id] = msgspec.structs.replace(pi, status="canceled")
        return self.intents[pi.id]

    async def create_refund(
        self, *, payment_intent_id: str, amount: int, metadata: Mapping[str, str], idempotency_key: str
    ) -> RefundSnapshot:
        self._call("create_refund")
        pi = self.intents[payment_intent_id]
        refunded = sum(r.amount for r in self.refunds.values() if r.payment_intent_id == pi.id)
        if pi.status != "succeeded" or refunded + amount > pi.amount_received:
            raise PaymentProviderRejected()
        refund = RefundSnapshot(
            id=f"re_fake{next(self._ids)}", status="succeeded", amount=amount, currency=pi.currency,
            payment_intent_id=pi.id, metadata=dict(metadata),
        )
        self.refunds[refund.id] = refund
        return refund

    async def list_refunds(self, payment_intent_id: str) -> list[RefundSnapshot]:
        self._call("list_refunds")
        return [r for r in self.refunds.values() if r.payment_intent_id == payment_intent_id]

    def pay(self, payment_intent_id: str) -> PaymentIntentSnapshot:
        """The buyer's app confirms the PaymentIntent with a good card."""
        pi = self.intents[payment_intent_id]
        self.intents[pi.id] = msgspec.structs.replace(
            pi, status="succeeded", amount_received=pi.amount, latest_charge_id=f"ch_fake{next(self._ids)}"
        )
        return self.intents[pi.id]


@dataclass
class RecordingOrders:
    """Ordering as payments sees it: records each call; `failures` makes the next calls raise, and
    orders in `missing` do not exist (NotFound)."""

    calls: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    awaiting: list[str] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    failures: int = 0

    def _record(self, name: str, **arguments: object) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError(f"ordering failed on {name}")
        if arguments.get("order_id") in self.missing:
            raise NotFound(f"no order {arguments['order_id']}")
        self.calls.append((name, arguments))

    def named(self, name: str) -> list[dict[str, object]]:
        return [arguments for called, arguments in self.calls if called == name]

    async def record_payment_succeeded(
        self, *, order_id: str, payment_intent_id: str, amount_received: int, currency: str
    ) -> None:
        self._record("record_payment_succeeded", order_id=order_id, payment_intent_id=payment_intent_id,
                     amount_received=amount_received, currency=currency)

    async def record_payment_failed(self, *, order_id: str, payment_intent_id: str, reason: str) -> None:
        self._record("record_payment_failed", order_id=order_id, payment_intent_id=payment_intent_id, reason=reason)

    async def record_refund(
        self, *, order_id: str, refund_id: str, amount_refunded: int, status: str, failure_reason: str | None = None
    ) -> None:
        self._record("record_refund", order_id=order_id, refund_id=refund_id, amount_refunded=amount_refunded,
                     status=status, **({"failure_reason": failure_reason} if failure_reason else {}))

    async def orders_awaiting_payment(self, *, older_than_seconds: int, limit: int) -> list[str]:
        return self.awaiting[:limit]


@dataclass
class _State:
    intents: dict[str, PaymentRecord] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    events: dict[str, InboxEntry] = field(default_factory=dict)
    published: list[msgspec.Struct] = field(default_factory=list)


class MemoryPayments:
    """Payments' tables in memory. Units of work see a copy of the committed state and write it
    back on commit, so that a failure leaves nothing behind, as a rolled back transaction would.
    (Orders are not copied: RecordingOrders keeps what it was told.)"""

    def __init__(self, orders: RecordingOrders | None = None) -> None:
        self.state = _State()
        self.orders = orders or RecordingOrders()

    def unit_of_work(self) -> UnitOfWorkFactory:
        @asynccontextmanager
        async def open_unit_of_work() -> AsyncIterator[PaymentsUnitOfWork]:
            yield MemoryUnitOfWork(self)

        return open_unit_of_work

    async def store_event(self, event: StripeEvent, *, source: EventSource, status: InboxStatus,
                          note: str | None) -> bool:
        """StoreEvent: the inbox's `add` in a unit of work of its own."""
        uow = MemoryUnitOfWork(self)
        stored = await uow.inbox.add(event, source=source, status=status, note=note)
        await uow.commit()
        return stored


class MemoryUnitOfWork:
    def __init__(self, payments: MemoryPayments) -> None:
        self._payments = payments
        self.state = copy.deepcopy(payments.state)
        self.intents = _Intents(self)
        self.refunds = _Refunds(self)
        self.inbox = _Inbox(self)

    @property
    def orders(self) -> RecordingOrders:
        return self._payments.orders

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        saved = copy.deepcopy(self.state)
        try:
            yield
        except BaseException:
            self.state = saved
            raise

    async def publish(self, event: msgspec.Struct) -> None:
        self.state.published.append(event)

    async def commit(self) -> None:
        self._payments.state = copy.deepcopy(self.state)


class _Intents:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self.uow = uow

    async def lock_order(self, order_id: str, *, across_provider_call: bool = False) -> None:
        return None

    async def locked(self, order_id: str, *, across_provider_call: bool = False) -> PaymentRecord | None:
        await self.lock_order(order_id, across_provider_call=across_provider_call)
        return await self.get(order_id)

    async def get(self, order_id: str) -> PaymentRecord | None:
        return self.uow.state.intents.get(order_id)

    async def by_payment_intent(self, payment_intent_id: str) -> PaymentRecord | None:
        return next((r for r in self.uow.state.intents.values() if r.payment_intent_id == payment_intent_id), None)

    async def add(self, record: PaymentRecord) -> None:
        if record.order_id in self.uow.state.intents:
            raise KeyError(f"order {record.order_id} has a PaymentIntent already")
        self.uow.state.intents[record.order_id] = record

    async def report_status(self, payment_intent_id: str, reported: str) -> PaymentRecord | None:
        record = await self.by_payment_intent(payment_intent_id)
        if record is None:
            return None
        record = msgspec.structs.replace(record, status=next_status(record.status, reported))
        self.uow.state.intents[record.order_id] = record
        return record


class _Refunds:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self.uow = uow

    async def for_order(self, order_id: str) -> list[Refund]:
        return sorted((r for r in self.uow.state.refunds.values() if r.order_id == order_id), key=lambda r: r.seq)

    async def lock(self, refund_id: str) -> Refund | None:
        return self.uow.state.refunds.get(refund_id)

    async def by_stripe_id(self, stripe_refund_id: str) -> Refund | None:
        return next((r for r in self.uow.state.refunds.values() if r.stripe_refund_id == stripe_refund_id), None)

    async def add(self, refund: Refund) -> None:
        if any(r.order_id == refund.order_id and r.seq == refund.seq for r in self.uow.state.refunds.values()):
            raise KeyError(f"refund {refund.seq} of order {refund.order_id} exists already")
        self.uow.state.refunds[refund.id] = refund

    async def save(self, refund: Refund) -> None:
        self.uow.state.refunds[refund.id] = refund


class _Inbox:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self.uow = uow

    async def add(self, event: StripeEvent, *, source: EventSource, status: InboxStatus, note: str | None) -> bool:
        events = self.uow.state.events
        if event.id in events:
            return False
        now = datetime.now(UTC)
        created = datetime.fromtimestamp(event.created, UTC) if event.created is not None else None
        events[event.id] = InboxEntry(
            event_id=event.id, seq=len(events) + 1, event_type=event.type, source=source,
            payload=copy.deepcopy(event.payload), status=status, attempts=0, next_attempt_at=now,
            received_at=now, note=note, stripe_created_at=created, processed_at=None if status == "pending" else now,
        )
        return True

    async def claim_due(self, now: datetime, limit: int) -> list[InboxEntry]:
        due = [e for e in self.uow.state.events.values() if e.status == "pending" and e.next_attempt_at <= now]
        return sorted(due, key=lambda e: (e.next_attempt_at, e.seq))[:limit]

    def _update(self, event_id: str, **changes: object) -> InboxEntry:
        entry = msgspec.structs.replace(self.uow.state.events[event_id], **changes)
        self.uow.state.events[event_id] = entry
        return entry

    async def finish(self, event_id: str, *, status: InboxStatus, note: str | None, now: datetime) -> None:
        attempts = self.uow.state.events[event_id].attempts + 1
        self._update(event_id, status=status, note=note, processed_at=now, attempts=attempts, last_error=None)

    async def fail(self, event_id: str, *, attempts: int, error: str, next_attempt_at: datetime, dead: bool) -> None:
        self._update(event_id, attempts=attempts, last_error=error, next_attempt_at=next_attempt_at,
                     status="dead" if dead else "pending")

    async def page(self, *, status: InboxStatus | None, before_seq: int | None, limit: int) -> list[InboxEntry]:
        entries = [
            e for e in self.uow.state.events.values()
            if (status is None or e.status == status) and (before_seq is None or e.seq < before_seq)
        ]
        return sorted(entries, key=lambda e: e.seq, reverse=True)[:limit]

    async def get(self, event_id: str) -> InboxEntry | None:
        return self.uow.state.events.get(event_id)

    async def revive(self, event_id: str, now: datetime) -> InboxEntry | None:
        entry = self.uow.state.events.get(event_id)
        if entry is None or entry.status != "dead":
            return None
        return self._update(event_id, status="pending", attempts=0, next_attempt_at=now)
