"""Announcements: an operator plans one for a show, and the platform plans each show's reminder the
day before it; the worker records their recipients' messages a batch per transaction (resumable,
nobody twice); they are sent like any other message."""

from __future__ import annotations

from datetime import timedelta

from lml.notifications.application.ports import Bookings, UnitOfWorkFactory
from lml.notifications.application.record_messages import record
from lml.notifications.application.views import AnnouncementView
from lml.notifications.domain.announcement import (
    Announcement,
    AnnouncementProgress,
    new_announcement,
    new_show_reminder,
)
from lml.notifications.domain.errors import ShowNotFound
from lml.notifications.domain.message import new_message
from lml.notifications.domain.recipient import Channel
from lml.notifications.domain.recipient_limit import RecipientLimit
from lml.platform.clock import Clock
from lml.platform.domain.errors import InvalidInput
from lml.platform.ids import new_id

# Ticket holders are reminded of a show this long before it starts.
REMINDER_LEAD = timedelta(hours=24)


async def plan_announcement(
    uow: UnitOfWorkFactory, clock: Clock, bookings: Bookings, *, organization_id: str, show_id: str, subject: str,
    body: str, created_by: str,
) -> Announcement:
    """Raises InvalidInput (the subject, the body) and ShowNotFound (also for another organization's)."""
    announcement = new_announcement(announcement_id=new_id(), organization_id=organization_id, show_id=show_id,
                                    subject=subject, body=body, created_by=created_by, at=clock.now())
    show = await bookings.show(show_id)
    if show is None or show.organization_id != organization_id:
        raise ShowNotFound(f"No show {show_id}")
    async with uow() as tx:
        await tx.announcements.add(announcement)
        await tx.commit()
    return announcement


async def plan_show_reminders(
    uow: UnitOfWorkFactory, clock: Clock, bookings: Bookings, *, lead: timedelta = REMINDER_LEAD
) -> int:
    """A reminder for each show that starts within `lead` and has none yet; how many were planned.
    A show put on sale less than `lead` before it starts is reminded of at once; whoever buys after
    its reminder was planned has their confirmation, and no reminder."""
    now = clock.now()
    shows = await bookings.shows_starting(now, now + lead)
    planned = 0
    async with uow() as tx:
        for show in shows:
            reminder = new_show_reminder(announcement_id=new_id(), organization_id=show.organization_id,
                                         show_id=show.show_id, at=now)
            planned += await tx.announcements.add(reminder)
        await tx.commit()
    return planned


async def record_announcement_batch(
    uow: UnitOfWorkFactory, clock: Clock, bookings: Bookings, *, batch: int = 200, limit: RecipientLimit | None = None,
) -> bool:
    """Record the messages of the next `batch` recipients of the oldest announcement not fully planned;
    False when there is none (the worker calls it again while it returns True)."""
    limit = limit or RecipientLimit()
    async with uow() as tx:
        announcement = await tx.announcements.claim_unplanned()
        if announcement is None:
            return False
        holders = await bookings.ticket_holders(announcement.show_id, after=announcement.cursor, limit=batch)
        now = clock.now()
        recipients: set[str] = set()
        for email in holders:
            try:
                message = new_message(
                    message_id=new_id(), kind=announcement.kind, channel=Channel.EMAIL, recipient=email,
                    event_key=f"{announcement.kind}:{announcement.announcement_id}", at=now,
                    organization_id=announcement.organization_id, show_id=announcement.show_id,
                    announcement_id=announcement.announcement_id, data=announcement.message_data,
                )
            except InvalidInput:
                # One unusable address (other contexts check them; this is the net) must not stop the
                # rest, nor fail the batch again at every retry.
                continue
            # Two addresses may be one recipient once normalized, and what `record` adds is not read
            # back before the commit: the second would be recorded again rather than found.
            if message.recipient in recipients:
                continue
            recipients.add(message.recipient)
            await record(tx, message, limit)
        if holders:
            announcement = announcement.advanced(holders[-1])
        if len(holders) < batch:
            announcement = announcement.completed(now)
        await tx.announcements.save(announcement)
        await tx.commit()
    return True


async def list_announcements(uow: UnitOfWorkFactory, *, show_id: str) -> list[AnnouncementView]:
    """Newest first, with their progress. `uow` acts as the operator's organization."""
    async with uow() as tx:
        announcements = await tx.announcements.of_show(show_id)
        progress = await tx.messages.progress([a.announcement_id for a in announcements])
    return [announcement_view(a, progress.get(a.announcement_id, AnnouncementProgress())) for a in announcements]


def announcement_view(announcement: Announcement, progress: AnnouncementProgress) -> AnnouncementView:
    return AnnouncementView(
        announcement_id=announcement.announcement_id, kind=announcement.kind.value, show_id=announcement.show_id,
        subject=announcement.subject,
        body=announcement.body, created_by=announcement.created_by, created_at=announcement.created_at,
        planned=announcement.planned_at is not None, recipients=progress.recipients, sent=progress.sent,
        failed=progress.failed, pending=progress.pending,
    )
