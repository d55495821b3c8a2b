"""The worker's periodic work for notifications: send what is due, record announcements' messages."""

from __future__ import annotations

from lml.notifications.application.announcements import record_announcement_batch
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
