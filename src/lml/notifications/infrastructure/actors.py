"""The worker's periodic work for notifications: send what is due, plan shows' reminders, record
announcements' (and reminders') messages."""

from __future__ import annotations

from lml.notifications.application.announcements import plan_show_reminders, record_announcement_batch
from lml.notifications.application.send_due_messages import send_due_messages
from lml.notifications.infrastructure.services import NotificationsServices

# A batch is sent within the claim's lease (5 minutes) even when every message waits for the SMTP
# timeout (10 s): no other worker claims a message while it may still be on its way.
SEND_BATCH = 20
# Batches per run at most: one run's work stays short, the next run (a second later) goes on.
MAX_BATCHES = 20


async def send_messages(notifications: NotificationsServices) -> int:
    """Send due messages a batch at a time until none is due; returns how many were claimed."""
    claimed = 0
    for _ in range(MAX_BATCHES):
        report = await send_due_messages(notifications.uows, notifications.clock, notifications.delivery,
                                         batch=SEND_BATCH)
        claimed += report.claimed
        if report.claimed < SEND_BATCH:
            break
    return claimed


async def plan_announcements(notifications: NotificationsServices) -> int:
    """Record announcements' messages a batch of recipients at a time; returns the batches done."""
    batches = 0
    while batches < MAX_BATCHES and await record_announcement_batch(notifications.uows, notifications.clock,
                                                                   notifications.bookings):
        batches += 1
    return batches


async def plan_reminders(notifications: NotificationsServices) -> int:
    """A reminder for each show starting within a day that has none yet; how many were planned."""
    return await plan_show_reminders(notifications.uows, notifications.clock, notifications.bookings)
