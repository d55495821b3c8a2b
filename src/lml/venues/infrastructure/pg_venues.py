"""Venues and layout versions on PostgreSQL, inside one unit of work acting as one organization
(row-level security keeps every statement to that organization's rows)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import psycopg.errors

from lml.platform.db import Database, UnitOfWork
from lml.platform.outbox import add_event
from lml.venues.domain.errors import DraftAlreadyOpen, LayoutBusy, VenueNameTaken
from lml.venues.domain.layout_version import LayoutVersion
from lml.venues.domain.venue import Venue

_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _is_uuid(value: str) -> bool:
    """Ids arrive from URLs: anything that is not a uuid names nothing (instead of failing a cast)."""
    return _UUID.match(value) is not None


_VENUE_COLUMNS = """
    id::text AS venue_id, organization_id::text AS org_id, name, address, city, country, timezone,
    seat_capacity, standing_capacity, created_at
"""

_VERSION_COLUMNS = """
    v.layout_id::text AS layout_id, l.venue_id::text AS venue_id, v.version, v.status, v.name, v.layout_type,
    v.seat_count, v.zone_capacity, v.hash, v.created_at, v.updated_at, v.published_at, v.archived_at
"""


class PgVenueRepository:
    def __init__(self, uow: UnitOfWork, org_id: str) -> None:
        self._conn = uow.conn
        self._org = org_id

    async def add(self, venue: Venue) -> None:
        try:
            async with self._conn.transaction():
                await self._conn.execute(
                    """
                    INSERT INTO venues.venues (id, organization_id, name, address, city, country, timezone, created_at)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                    """,
                    (venue.venue_id, venue.org_id, venue.name, venue.address, venue.city, venue.country,
                     venue.timezone, venue.created_at),
                )
        except psycopg.errors.UniqueViolation:
            raise VenueNameTaken(f"This organization already has a venue named {venue.name!r}") from None

    async def _one(self, where: str, value: str) -> Venue | None:
        cur = await self._conn.execute(f"SELECT {_VENUE_COLUMNS} FROM venues.venues WHERE {where}", (value,))  # noqa: S608 - fixed fragments
        row = await cur.fetchone()
        return msgspec.convert(row, Venue) if row else None

    async def get(self, venue_id: str) -> Venue | None:
        return await self._one("id = %s", venue_id) if _is_uuid(venue_id) else None

    async def by_name(self, name: str) -> Venue | None:
        return await self._one("lower(name) = lower(%s)", name)

    async def list(self) -> list[Venue]:
        cur = await self._conn.execute(f"SELECT {_VENUE_COLUMNS} FROM venues.venues ORDER BY created_at, id")  # noqa: S608
        return [msgspec.convert(row, Venue) for row in await cur.fetchall()]

    async def save_capacity(self, venue: Venue) -> None:
        await self._conn.execute(
            "UPDATE venues.venues SET seat_capacity = %s, standing_capacity = %s WHERE id = %s",
            (venue.seat_capacity, venue.standing_capacity, venue.venue_id),
        )


class PgLayoutRepository:
    def __init__(self, uow: UnitOfWork, org_id: str) -> None:
        self._conn = uow.conn
        self._org = org_id

    async def add(self, first: LayoutVersion) -> None:
        await self._conn.execute(
            "INSERT INTO venues.layouts (id, organization_id, venue_id, created_at) VALUES (%s, %s, %s, %s)",
            (first.layout_id, self._org, first.venue_id, first.created_at),
        )
        await self.add_version(first)

    async def versions(self, layout_id: str, *, venue_id: str | None = None, lock: bool = False) -> list[LayoutVersion]:
        if not _is_uuid(layout_id) or (venue_id is not None and not _is_uuid(venue_id)):
            return []
        if lock:
            try:
                # Writers of one layout queue here; one that waits past lock_timeout is told to retry.
                await self._conn.execute("SELECT 1 FROM venues.layouts WHERE id = %s FOR UPDATE", (layout_id,))
            except psycopg.errors.LockNotAvailable:
                raise LayoutBusy() from None
        cur = await self._conn.execute(
            f"""
            SELECT {_VERSION_COLUMNS}
            FROM venues.layout_versions v JOIN venues.layouts l ON l.id = v.layout_id
            WHERE v.layout_id = %s AND (%s::uuid IS NULL OR l.venue_id = %s::uuid)
            ORDER BY v.version
            """,  # noqa: S608 - fixed fragments
            (layout_id, venue_id, venue_id),
        )
        return [msgspec.convert(row, LayoutVersion) for row in await cur.fetchall()]

    async def of_venue(self, venue_id: str) -> list[LayoutVersion]:
        if not _is_uuid(venue_id):
            return []
        cur = await self._conn.execute(
            f"""
            SELECT {_VERSION_COLUMNS}
            FROM venues.layout_versions v JOIN venues.layouts l ON l.id = v.layout_id
            WHERE l.venue_id = %s
            ORDER BY l.created_at, l.id, v.version
            """,  # noqa: S608 - fixed fragments
            (venue_id,),
        )
        return [msgspec.convert(row, LayoutVersion) for row in await cur.fetchall()]

    async def add_version(self, version: LayoutVersion) -> None:
        try:
            async with self._conn.transaction():
                await self._conn.execute(
                    """
                    INSERT INTO venues.layout_versions (layout_id, version, organization_id, status, name, layout_type,
                        seat_count, zone_capacity, hash, created_at, updated_at, published_at, archived_at)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                    """,
                    (version.layout_id, version.version, self._org, *self._values(version)),
                )
        except psycopg.errors.UniqueViolation:
            raise DraftAlreadyOpen() from None

    async def save_version(self, version: LayoutVersion) -> None:
        await self._conn.execute(
            """
            UPDATE venues.layout_versions
            SET status = %s, name = %s, layout_type = %s, seat_count = %s, zone_capacity = %s, hash = %s,
                created_at = %s, updated_at = %s, published_at = %s, archived_at = %s
            WHERE layout_id = %s AND version = %s
            """,
            (*self._values(version), version.layout_id, version.version),
        )

    @staticmethod
    def _values(v: LayoutVersion) -> tuple[Any, ...]:
        """The columns that may change, in the order both statements list them."""
        return (v.status, v.name, v.layout_type, v.seat_count, v.zone_capacity, v.hash,
                v.created_at, v.updated_at, v.published_at, v.archived_at)


class PgVenuesUnitOfWork:
    def __init__(self, uow: UnitOfWork, org_id: str) -> None:
        self._uow = uow
        self.venues = PgVenueRepository(uow, org_id)
        self.layouts = PgLayoutRepository(uow, org_id)

    async def publish(self, event: msgspec.Struct) -> None:
        await add_event(self._uow, event)

    async def commit(self) -> None:
        await self._uow.commit()


class PgVenuesTransactions:
    """The unit-of-work factory: `async with transactions(org_id) as uow: ...`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @asynccontextmanager
    async def __call__(self, org_id: str) -> AsyncIterator[PgVenuesUnitOfWork]:
        async with self._db.unit_of_work(org_id=org_id) as uow:
            yield PgVenuesUnitOfWork(uow, org_id)
