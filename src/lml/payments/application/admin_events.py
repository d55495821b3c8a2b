"""Platform admins look at the inbox (the dead letters above all) and send dead events back in."""

from __future__ import annotations

from datetime import datetime

import msgspec

from lml.payments.application.ports import UnitOfWorkFactory
from lml.payments.domain.errors import StripeEventNotFound, StripeEventNotRetryable
from lml.payments.domain.inbox import InboxEntry, InboxStatus, decode_cursor, encode_cursor


class EventPage(msgspec.Struct, frozen=True):
    items: list[InboxEntry]
    next_cursor: str | None


async def list_events(
    uows: UnitOfWorkFactory, *, status: InboxStatus | None, cursor: str | None, limit: int
) -> EventPage:
    """Newest first; `next_cursor` continues after the last item, None on the last page."""
    before = decode_cursor(cursor) if cursor else None
    async with uows() as uow:
        entries = await uow.inbox.page(status=status, before_seq=before, limit=limit + 1)
    more = len(entries) > limit
    return EventPage(items=entries[:limit], next_cursor=encode_cursor(entries[limit - 1].seq) if more else None)


async def retry_event(uows: UnitOfWorkFactory, *, event_id: str, now: datetime) -> InboxEntry:
    async with uows() as uow:
        entry = await uow.inbox.revive(event_id, now)
        if entry is None:
            existing = await uow.inbox.get(event_id)
            if existing is None:
                raise StripeEventNotFound(f"No Stripe event {event_id} has been received")
            raise StripeEventNotRetryable(f"Stripe event {event_id} is {existing.status}; only a dead event is retried")
        await uow.commit()
    return entry
