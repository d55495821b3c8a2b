"""Notifications' backlog for the worker's `/metrics`: messages waiting to go out (first tries and
retries of failed sends)."""

from __future__ import annotations

from lml.notifications.infrastructure.services import NotificationsServices
from lml.platform.backlog import Figure, queue_figures


async def message_backlog(notifications: NotificationsServices) -> list[Figure]:
    # Read through the `messages_due` partial index; dead messages have no index and are left out.
    async with notifications.resources.db.unit_of_work() as uow:
        row = await (
            await uow.conn.execute(
                "SELECT count(*) AS pending, min(created_at) AS oldest FROM notifications.messages"
                " WHERE status IN ('queued', 'failed')"
            )
        ).fetchone()
    if row is None:
        raise RuntimeError("an aggregate returned no row")
    return queue_figures("notifications", "messages", pending=row["pending"], oldest=row["oldest"], dead=None,
                         now=notifications.clock.now())
