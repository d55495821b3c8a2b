"""EventRepository on PostgreSQL (`catalog.events`, `catalog.event_revisions`)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from lml.catalog.domain.event import Event, EventRevision
from lml.catalog.domain.venue import VenueSnapshot
from lml.catalog.infrastructure.sql_ids import as_uuid

_COLUMNS = """id::text AS event_id, organization_id::text AS org_id, venue_id::text AS venue_id, venue_name, city,
    country, timezone, title, description, category, images, status, revision, created_at, updated_at,
    published_at, cancelled_at"""


def _event(row: dict[str, Any]) -> Event:
    venue = VenueSnapshot(venue_id=row.pop("venue_id"), name=row.pop("venue_name"), city=row.pop("city"),
                          country=row.pop("country"), timezone=row.pop("timezone"))
    return Event(venue=venue, **{**row, "images": tuple(row["images"])})


class PgEvents:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self.conn = conn

    async def add(self, event: Event) -> None:
        await self.conn.execute(
            """
            INSERT INTO catalog.events (id, organization_id, venue_id, venue_name, city, country, timezone, title,
                description, category, images, status, revision, created_at, updated_at, published_at, cancelled_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (event.event_id, event.org_id, event.venue.venue_id, event.venue.name, event.venue.city,
             event.venue.country, event.venue.timezone, event.title, event.description, event.category,
             list(event.images), event.status, event.revision, event.created_at, event.updated_at,
             event.published_at, event.cancelled_at),
        )

    async def get(self, event_id: str, *, for_update: bool = False) -> Event | None:
        if as_uuid(event_id) is None:
            return None
        lock = " FOR UPDATE" if for_update else ""
        row = await (
            await self.conn.execute(f"SELECT {_COLUMNS} FROM catalog.events WHERE id = %s{lock}", (event_id,))  # noqa: S608 - fixed text
        ).fetchone()
        return _event(row) if row else None

    async def save(self, event: Event) -> None:
        await self.conn.execute(
            """
            UPDATE catalog.events SET venue_id = %s, venue_name = %s, city = %s, country = %s, timezone = %s,
                title = %s, description = %s, category = %s, images = %s, status = %s, revision = %s,
                updated_at = %s, published_at = %s, cancelled_at = %s
            WHERE id = %s
            """,
            (event.venue.venue_id, event.venue.name, event.venue.city, event.venue.country, event.venue.timezone,
             event.title, event.description, event.category, list(event.images), event.status, event.revision,
             event.updated_at, event.published_at, event.cancelled_at, event.event_id),
        )

    async def add_revision(self, revision: EventRevision) -> None:
        await self.conn.execute(
            """
            INSERT INTO catalog.event_revisions (event_id, revision, organization_id, title, description, category,
                images, venue_name, recorded_at, recorded_by)
            SELECT %s, %s, organization_id, %s, %s, %s, %s, %s, %s, %s FROM catalog.events WHERE id = %s
            """,
            (revision.event_id, revision.revision, revision.title, revision.description, revision.category,
             list(revision.images), revision.venue_name, revision.recorded_at, revision.recorded_by,
             revision.event_id),
        )

    async def revisions(self, event_id: str) -> list[EventRevision]:
        rows = await (
            await self.conn.execute(
                """
                SELECT event_id::text AS event_id, revision, title, description, category, images, venue_name,
                       recorded_at, recorded_by::text AS recorded_by
                FROM catalog.event_revisions WHERE event_id = %s ORDER BY revision
                """,
                (event_id,),
            )
        ).fetchall()
        return [EventRevision(**{**row, "images": tuple(row["images"])}) for row in rows]

    async def of_organization(self, *, status: str | None, after: str | None, limit: int) -> list[Event]:
        rows = await (
            await self.conn.execute(
                f"""
                SELECT {_COLUMNS} FROM catalog.events
                WHERE organization_id = platform.current_org()
                  AND (%(status)s::text IS NULL OR status = %(status)s)
                  AND (%(after)s::uuid IS NULL OR id < %(after)s::uuid)
                ORDER BY id DESC LIMIT %(limit)s
                """,  # noqa: S608 - fixed text
                {"status": status, "after": after, "limit": limit},
            )
        ).fetchall()
        return [_event(row) for row in rows]
