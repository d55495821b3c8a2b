"""What contract tests observe of a unit of work's `publish` on PostgreSQL: the integration events the
outbox recorded (and will deliver), as the in-memory fakes record them."""

from __future__ import annotations

from lml.platform.db import Database


async def recorded_event_types(db: Database, context: str) -> list[str]:
    """The types (`catalog.ShowCancelled`) of the events `context` recorded, oldest first."""
    async with db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "SELECT event_type FROM platform.outbox WHERE event_type LIKE %s ORDER BY id", (f"{context}.%",)
        )).fetchall()
    return [row["event_type"] for row in rows]
