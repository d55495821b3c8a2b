"""In-memory fakes of notifications' ports, for the use cases' unit tests. The stores are held to the
same contract as the PostgreSQL adapters (tests/integration/notifications/test_store_contract.py).

A unit of work reads what is committed plus its own writes, and publishes its writes on `commit()`
only; the rows it claimed and the recipients it locked stay its own until it ends, as PostgreSQL's
row locks and advisory locks would."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from lml.notifications.application.ports import (
    DeliveryFailed,
    EmailContent,
    InlineImage,
    NotificationsUnitOfWork,
    OutgoingEmail,
    UnitOfWorkFactory,
)
from lml.notifications.application.views import MessageContext, OrderBuyer, OrderSummary, ShowSummary
from lml.notifications.domain.announcement import Announcement, AnnouncementProgress
from lml.notifications.domain.message import PENDING, Message, MessageKind, MessageStatus
from lml.notifications.domain.recipient_limit import RecentMessage


@dataclass
class MemoryNotifications:
    """The committed state, shared by every unit of work opened on it."""

    messages: dict[str, Message] = field(default_factory=dict)
    announcements: dict[str, Announcement] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)  # rows locked by an open unit of work
    recipient_locks: dict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))

    def unit_of_work(self, *, org_id: str | None = None) -> UnitOfWorkFactory:
        """`org_id`: an operator's unit of work sees that organization's rows only (as row-level
        security does); None: the system's, which sees every row."""

        @asynccontextmanager
        async def open_unit_of_work() -> AsyncIterator[NotificationsUnitOfWork]:
            tx = MemoryUnitOfWork(self, org_id)
            try:
                yield tx
            finally:
                tx.release()

        return open_unit_of_work


class MemoryUnitOfWork:
    def __init__(self, world: MemoryNotifications, org_id: str | None) -> None:
        self.world = world
        self.org_id = org_id
        self.message_writes: dict[str, Message] = {}
        self.message_adds: dict[str, Message] = {}  # seen from the commit on, as `MessageStore.add` says
        self.announcement_writes: dict[str, Announcement] = {}
        self.claimed: set[str] = set()
        self.locks: list[asyncio.Lock] = []
        self.messages = MemoryMessages(self)
        self.announcements = MemoryAnnouncements(self)

    def visible(self, organization_id: str | None) -> bool:
        return self.org_id is None or organization_id == self.org_id

    async def commit(self) -> None:
        self.world.messages.update(self.message_adds)
        self.world.messages.update(self.message_writes)
        self.world.announcements.update(self.announcement_writes)
        self.message_adds.clear()
        self.message_writes.clear()
        self.announcement_writes.clear()

    def release(self) -> None:
        self.world.claimed -= self.claimed
        for lock in self.locks:
            lock.release()


class MemoryMessages:
    def __init__(self, tx: MemoryUnitOfWork) -> None:
        self._tx = tx

    def _all(self) -> list[Message]:
        rows = {**self._tx.world.messages, **self._tx.message_writes}.values()
        return [m for m in rows if self._tx.visible(m.organization_id)]

    async def locked_recipient(
        self, recipient: str, *, dedupe_key: str, since: datetime
    ) -> tuple[Message | None, list[RecentMessage]]:
        lock = self._tx.world.recipient_locks[recipient]
        if lock not in self._tx.locks:
            await lock.acquire()
            self._tx.locks.append(lock)
        return await self.find(dedupe_key), [
            RecentMessage(kind=m.kind, order_id=m.order_id, created_at=m.created_at)
            for m in self._all() if m.recipient == recipient and m.created_at > since]

    async def find(self, dedupe_key: str) -> Message | None:
        return next((m for m in self._all() if m.dedupe_key == dedupe_key), None)

    async def add(self, message: Message) -> None:
        added = self._tx.message_adds.values()
        if (await self.find(message.dedupe_key) is not None or message.message_id in self._tx.world.messages
                or any(m.dedupe_key == message.dedupe_key or m.message_id == message.message_id for m in added)):
            raise ValueError(f"message {message.message_id} would be recorded twice")
        self._tx.message_adds[message.message_id] = message

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Message]:
        due = sorted((m for m in self._all() if m.status in PENDING and m.next_attempt_at <= now
                      and m.message_id not in self._tx.world.claimed),
                     key=lambda m: (m.next_attempt_at, m.message_id))[:limit]
        leased = [msgspec.structs.replace(m, next_attempt_at=lease_until) for m in due]
        for message in leased:
            self._tx.message_writes[message.message_id] = message
            self._tx.claimed.add(message.message_id)
        self._tx.world.claimed |= self._tx.claimed
        return leased

    async def record(self, message: Message, *, lease: datetime) -> bool:
        current = next((m for m in self._all() if m.message_id == message.message_id), None)
        if current is None or current.status not in PENDING or current.next_attempt_at != lease:
            return False
        self._tx.message_writes[message.message_id] = message
        return True

    async def of_order(self, order_id: str) -> list[Message]:
        return sorted((m for m in self._all() if m.order_id == order_id), key=lambda m: (m.created_at, m.message_id))

    async def progress(self, announcement_ids: Sequence[str]) -> dict[str, AnnouncementProgress]:
        counts: dict[str, dict[str, int]] = {}
        for m in self._all():
            if m.announcement_id is not None and m.announcement_id in announcement_ids:
                row = counts.setdefault(m.announcement_id, {"recipients": 0, "sent": 0, "failed": 0, "pending": 0})
                row["recipients"] += 1
                row[{MessageStatus.SENT: "sent", MessageStatus.DEAD: "failed"}.get(m.status, "pending")] += 1
        return {key: AnnouncementProgress(**row) for key, row in counts.items()}


class MemoryAnnouncements:
    def __init__(self, tx: MemoryUnitOfWork) -> None:
        self._tx = tx

    def _all(self) -> list[Announcement]:
        rows = {**self._tx.world.announcements, **self._tx.announcement_writes}.values()
        return [a for a in rows if self._tx.visible(a.organization_id)]

    async def add(self, announcement: Announcement) -> bool:
        if announcement.kind is MessageKind.SHOW_REMINDER and any(
                (a.kind, a.show_id) == (announcement.kind, announcement.show_id) for a in self._all()):
            return False
        self._tx.announcement_writes[announcement.announcement_id] = announcement
        return True

    async def of_show(self, show_id: str) -> list[Announcement]:
        return sorted((a for a in self._all() if a.show_id == show_id),
                      key=lambda a: (a.created_at, a.announcement_id), reverse=True)

    async def claim_unplanned(self) -> Announcement | None:
        waiting = sorted((a for a in self._all() if a.planned_at is None
                          and a.announcement_id not in self._tx.world.claimed),
                         key=lambda a: (a.created_at, a.announcement_id))
        if not waiting:
            return None
        self._tx.claimed.add(waiting[0].announcement_id)
        self._tx.world.claimed.add(waiting[0].announcement_id)
        return waiting[0]

    async def save(self, announcement: Announcement) -> None:
        self._tx.announcement_writes[announcement.announcement_id] = announcement


@dataclass
class FakeBookings:
    """Orders, shows and ticket holders as other contexts would report them; while `failure` is set,
    every look-up raises it (another context cannot be reached)."""

    orders: dict[str, OrderSummary] = field(default_factory=dict)
    shows: dict[str, ShowSummary] = field(default_factory=dict)
    holders: dict[str, list[str]] = field(default_factory=dict)  # show id → emails
    failure: Exception | None = None

    def add_order(self, order: OrderSummary) -> OrderSummary:
        self.orders[order.order_id] = order
        self.shows[order.show.show_id] = order.show
        return order

    def _reachable(self) -> None:
        if self.failure is not None:
            raise self.failure

    async def buyer(self, order_id: str) -> OrderBuyer | None:
        self._reachable()
        order = self.orders.get(order_id)
        if order is None:
            return None
        return OrderBuyer(order_id=order.order_id, organization_id=order.show.organization_id,
                          show_id=order.show.show_id, email=order.buyer_email, phone=order.buyer_phone)

    async def order(self, order_id: str) -> OrderSummary | None:
        self._reachable()
        return self.orders.get(order_id)

    async def show(self, show_id: str) -> ShowSummary | None:
        self._reachable()
        return self.shows.get(show_id)

    async def shows_starting(self, after: datetime, before: datetime) -> list[ShowSummary]:
        self._reachable()
        return sorted((s for s in self.shows.values() if after <= s.starts_at < before),
                      key=lambda s: (s.starts_at, s.show_id))

    async def ticket_holders(self, show_id: str, *, after: str | None, limit: int) -> list[str]:
        self._reachable()
        emails = sorted({email.lower() for email in self.holders.get(show_id, [])})
        return [email for email in emails if after is None or email > after][:limit]


class RecordingEmailSender:
    """Keeps what it was given; while `failure` is set, raises it instead (the server is down, say)."""

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failure: DeliveryFailed | None = None

    async def send(self, email: OutgoingEmail) -> str:
        if self.failure is not None:
            raise self.failure
        self.sent.append(email)
        return f"<{email.message_id}@fake>"


class RecordingSmsSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, *, to: str, body: str) -> str:
        self.sent.append((to, body))
        return f"SM{len(self.sent):032d}"


class PlainRenderer:
    """A renderer without templates: enough for the use cases to be seen passing the right facts."""

    def email(self, message: Message, context: MessageContext) -> EmailContent:
        title = context.show.event_title if context.show else "LML"
        tickets = context.order.tickets if context.order else []
        lines = [f"{item.place} {item.code}" for item in tickets]
        if message.secret:
            lines.append(f"token {message.secret}")
        return EmailContent(
            subject=f"{message.kind}: {message.data.get('subject', title)}", text="\n".join(lines),
            html="".join(f"<p>{line}</p>" for line in lines),
            images=[InlineImage(content_id=f"ticket-{n}", png=(item.qr_payload or "").encode())
                    for n, item in enumerate(tickets, start=1)],
        )

    def sms(self, message: Message, context: MessageContext) -> str:
        return f"{message.kind} {context.order.order_id if context.order else ''}".strip()
