"""The RoomRepository port on PostgreSQL (`admission.waiting_rooms`)."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import AsyncConnection

from lml.admission.domain.room import WaitingRoom

_SELECT = (
    "SELECT show_id::text, organization_id::text, enabled, opens_at, admit_per_minute, max_active, pass_seconds,"
    " paused, updated_at FROM admission.waiting_rooms "
)


class PgRooms:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self.conn = conn

    async def get(self, show_id: str) -> WaitingRoom | None:
        row = await (await self.conn.execute(_SELECT + "WHERE show_id = %s", (show_id,))).fetchone()
        return msgspec.convert(row, WaitingRoom) if row else None

    async def save(self, r: WaitingRoom) -> None:
        await self.conn.execute(
            "INSERT INTO admission.waiting_rooms (show_id, organization_id, enabled, opens_at, admit_per_minute,"
            " max_active, pass_seconds, paused, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (show_id) DO UPDATE SET enabled = excluded.enabled, opens_at = excluded.opens_at,"
            " admit_per_minute = excluded.admit_per_minute, max_active = excluded.max_active,"
            " pass_seconds = excluded.pass_seconds, paused = excluded.paused, updated_at = excluded.updated_at",
            (r.show_id, r.organization_id, r.enabled, r.opens_at, r.admit_per_minute, r.max_active, r.pass_seconds,
             r.paused, r.updated_at),
        )

    async def enabled(self) -> list[WaitingRoom]:
        rows = await (await self.conn.execute(_SELECT + "WHERE enabled ORDER BY show_id")).fetchall()
        return [msgspec.convert(row, WaitingRoom) for row in rows]
