"""Shows by when they start, for the reminders sent the day before."""

from __future__ import annotations

from datetime import datetime

from lml.platform.db import Database


async def shows_starting(db: Database, after: datetime, before: datetime) -> list[str]:
    async with db.unit_of_work() as uow:  # acting as no organization: every organization's shows
        rows = await (await uow.conn.execute(
            "SELECT id::text AS show_id FROM catalog.shows"
            " WHERE status = 'on_sale' AND starts_at >= %s AND starts_at < %s ORDER BY starts_at, id",
            (after, before),
        )).fetchall()
    return [row["show_id"] for row in rows]
