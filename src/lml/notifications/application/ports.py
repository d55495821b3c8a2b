"""What notifications' use cases need from the outside world, as Protocols.

Its own stores in one transaction (`NotificationsUnitOfWork`); the facts other contexts own
(`Bookings`: orders, shows, ticket holders); the renderer; the senders (SMTP, SMS)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

import msgspec

from lml.notifications.application.views import MessageContext, OrderBuyer, OrderSummary, ShowSummary
from lml.notifications.domain.announcement import Announcement, AnnouncementProgress
from lml.notifications.domain.message import Message
from lml.notifications.domain.recipient_limit import RecentMessage


class MessageStore(Protocol):
    async def locked_recipient(
        self, recipient: str, *, dedupe_key: str, since: datetime
    ) -> tuple[Message | None, list[RecentMessage]]:
        """Serialize recording for one recipient until the transaction ends, so that the dedupe check
        and the per-recipient limit count what concurrent recorders did; then, as the lock leaves
        them, the message recorded under `dedupe_key` (None if none) and the recipient's messages
        recorded after `since`, whatever their status."""

    async def find(self, dedupe_key: str) -> Message | None: ...

    async def add(self, message: Message) -> None:
        """Kept when the unit of work commits, and only then seen by reads (`locked_recipient`'s too):
        a transaction records at most one message per recipient."""

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Message]:
        """Up to `limit` pending messages due by `now`, the longest due first, skipping those another
        transaction holds; each one's `next_attempt_at` becomes `lease_until`, so that no other sender
        takes it before then (unless this one dies without recording an outcome)."""

    async def record(self, message: Message, *, lease: datetime) -> bool:
        """Store the outcome of one attempt (status, attempts, error, provider id, next attempt, token
        erased) if the message is still as claimed: pending with `next_attempt_at = lease`. False when
        it is not (another sender took it after the lease ran out)."""

    async def of_order(self, order_id: str) -> list[Message]:
        """Oldest first."""

    async def progress(self, announcement_ids: Sequence[str]) -> dict[str, AnnouncementProgress]:
        """Each announcement's messages counted by outcome (announcements without any are left out)."""


class AnnouncementStore(Protocol):
    async def add(self, announcement: Announcement) -> bool:
        """False (and nothing added) for a second reminder of one show."""

    async def of_show(self, show_id: str) -> list[Announcement]:
        """Newest first."""

    async def claim_unplanned(self) -> Announcement | None:
        """The oldest announcement whose recipients are not all recorded, locked until the transaction
        ends; one that another transaction holds is skipped."""

    async def save(self, announcement: Announcement) -> None:
        """Record its cursor and whether it is planned."""


class NotificationsUnitOfWork(Protocol):
    """One transaction; leaving it without `commit()` undoes everything."""

    @property
    def messages(self) -> MessageStore: ...

    @property
    def announcements(self) -> AnnouncementStore: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[NotificationsUnitOfWork]: ...


class Bookings(Protocol):
    """What other contexts know about orders and shows (ordering, catalog, venues, identity),
    implemented on their facades. Read outside notifications' own transactions."""

    async def buyer(self, order_id: str) -> OrderBuyer | None:
        """Where the order's messages go; None when there is no such order. An event's handler asks
        this inside the event's delivery transaction, so it reads on that transaction's connection."""

    async def order(self, order_id: str) -> OrderSummary | None:
        """The order as its messages show it: one item per ticket once it is paid (with its code and
        QR payload), one per place before; None when there is no such order."""

    async def show(self, show_id: str) -> ShowSummary | None: ...

    async def shows_starting(self, after: datetime, before: datetime) -> list[ShowSummary]:
        """The shows on sale (not cancelled) that start in [after, before), soonest first."""

    async def ticket_holders(self, show_id: str, *, after: str | None, limit: int) -> list[str]:
        """Emails (lowercase, distinct, ascending, greater than `after`) of the buyers who hold a valid
        ticket for the show: paid orders and partly refunded ones, not refunded or cancelled ones."""


class InlineImage(msgspec.Struct, frozen=True, kw_only=True):
    content_id: str  # referenced from the HTML as `cid:<content_id>`
    png: bytes


class EmailContent(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    text: str
    html: str
    images: list[InlineImage] = msgspec.field(default_factory=list)


class OutgoingEmail(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str  # ours: the same on every attempt, so the Message-ID header is too
    to: str
    content: EmailContent
    sender_name: str | None = None
    reply_to: str | None = None


class Renderer(Protocol):
    def email(self, message: Message, context: MessageContext) -> EmailContent: ...

    def sms(self, message: Message, context: MessageContext) -> str: ...


class DeliveryFailed(Exception):
    """The provider did not take the message. `permanent`: it refused it for good (no such mailbox,
    not a mobile number), so trying again would fail the same way."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class EmailSender(Protocol):
    async def send(self, email: OutgoingEmail) -> str:
        """The provider's id of the message sent (its Message-ID); raises DeliveryFailed."""


class SmsSender(Protocol):
    async def send(self, *, to: str, body: str) -> str:
        """The provider's id of the message sent; raises DeliveryFailed."""
