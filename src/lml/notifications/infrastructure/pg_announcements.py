"""The AnnouncementStore port on PostgreSQL (`notifications.announcements`)."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import AsyncConnection

from lml.notifications.domain.announcement import Announcement

_SELECT = (
    "SELECT announcement_id::text, organization_id::text, show_id::text, subject, body, created_by, created_at,"
    " kind, cursor, planned_at FROM notifications.announcements "
)


class PgAnnouncementStore:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self.conn = conn

    async def add(self, a: Announcement) -> bool:
        added = await self.conn.execute(
            "INSERT INTO notifications.announcements (announcement_id, organization_id, show_id, subject, body,"
            " created_by, created_at, kind, cursor, planned_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (show_id) WHERE kind = 'show_reminder' DO NOTHING",
            (a.announcement_id, a.organization_id, a.show_id, a.subject, a.body, a.created_by, a.created_at,
             a.kind.value, a.cursor, a.planned_at),
        )
        return added.rowcount == 1

    async def of_show(self, show_id: str) -> list[Announcement]:
        rows = await (await self.conn.execute(
            _SELECT + "WHERE show_id = %s ORDER BY created_at DESC, announcement_id DESC", (show_id,)
        )).fetchall()
        return [msgspec.convert(row, Announcement) for row in rows]

    async def claim_unplanned(self) -> Announcement | None:
        row = await (await self.conn.execute(
            _SELECT + "WHERE planned_at IS NULL ORDER BY created_at, announcement_id LIMIT 1 FOR UPDATE SKIP LOCKED"
        )).fetchone()
        return msgspec.convert(row, Announcement) if row else None

    async def save(self, a: Announcement) -> None:
        await self.conn.execute(
            "UPDATE notifications.announcements SET cursor = %s, planned_at = %s WHERE announcement_id = %s",
            (a.cursor, a.planned_at, a.announcement_id),
        )
