"""What a message shows about an order or a show, as the `Bookings` port returns it (other contexts
own these facts; notifications reads them when it renders, and keeps none of them)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec


class ShowSummary(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    organization_id: str
    event_title: str
    starts_at: datetime
    # The venue's own timezone (IANA name, `Europe/London`): buyers read the show's time as the venue's.
    timezone: str
    venue_name: str
    venue_address: str
    # The organization's sender display name and reply-to address, when it set them; the envelope
    # sender stays ours.
    sender_name: str | None = None
    reply_to: str | None = None

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.timezone))


class OrderItem(msgspec.Struct, frozen=True, kw_only=True):
    """One ticket of a paid order (or one place of an unpaid one, which has no code yet)."""

    place: str  # the seat's label (`Stalls B 12`) or the standing zone's name
    tier: str
    price: int  # minor units of the order's currency
    code: str | None = None  # as `GET /v1/orders/{order_id}/tickets` returns it
    qr_payload: str | None = None  # what the door scanner reads (its QR code in the HTML part)


class OrderBuyer(msgspec.Struct, frozen=True, kw_only=True):
    """Who an order's messages go to, and whose order it is."""

    order_id: str
    organization_id: str
    show_id: str
    email: str
    phone: str | None = None  # E.164, when the buyer gave one


class OrderSummary(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    show: ShowSummary
    buyer_email: str
    buyer_phone: str | None = None  # E.164, when the buyer gave one
    items: list[OrderItem]
    total: int
    currency: str

    @property
    def tickets(self) -> list[OrderItem]:
        return [item for item in self.items if item.code is not None]


class MessageContext(msgspec.Struct, frozen=True, kw_only=True):
    """What a message's templates read besides the message itself."""

    order: OrderSummary | None = None
    show: ShowSummary | None = None


class MessageView(msgspec.Struct, frozen=True, kw_only=True):
    """A message as an operator sees it: no data, never its token."""

    message_id: str
    kind: str
    channel: str
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None  # None once it is sent or dead


class AnnouncementView(msgspec.Struct, frozen=True, kw_only=True):
    announcement_id: str
    kind: str  # `announcement` (an operator's) or `show_reminder` (the day before; no subject or body)
    show_id: str
    subject: str
    body: str
    created_by: str
    created_at: datetime
    # Every recipient's message is recorded (the count of recipients is final).
    planned: bool
    recipients: int
    sent: int
    failed: int
    pending: int
