"""InventoryRepository on PostgreSQL (`seating.show_seats`, `seating.show_zones`, and the show's terms
of sale in `seating.show_terms`), inside the caller's unit of work.

Materialization sends each column as one array (binary format: cheaper to build than text) and
unnests it server-side: one statement per batch, no per-row round trips. COPY would be the other
fast path, but PostgreSQL refuses `COPY FROM` into a table with row-level security, and a staging
temp table only adds a copy: the insert's own cost (primary key, foreign key, policy check) stays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from lml.seating.domain.inventory import (
    InventoryCounts,
    InventorySeat,
    InventoryZone,
    MaterializeResult,
    SeatState,
    SeatStatus,
    ZoneCounts,
    tally,
)
from lml.seating.domain.sale_terms import SaleTerms
from lml.seating.domain.seat_quality import SeatPlan

# Rows per INSERT: large enough that 100k seats take a handful of statements, small enough that
# one statement's arrays stay a few megabytes.
BATCH = 25_000


class PgInventory:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self.conn = conn

    async def create(
        self, terms: SaleTerms, seats: Sequence[InventorySeat], zones: Sequence[InventoryZone], plan: SeatPlan
    ) -> MaterializeResult:
        show_id, org_id = terms.show_id, terms.organization_id
        # The header row is the gate: a concurrent second materialization waits on its key, then
        # finds it and leaves the inventory as the first one made it.
        created = await (
            await self.conn.execute(
                """
                INSERT INTO seating.show_inventories (show_id, organization_id, seat_count, zone_count, rows)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (show_id) DO NOTHING
                RETURNING show_id
                """,
                (show_id, org_id, len(seats), len(zones), Jsonb(msgspec.to_builtins(plan.rows))),
            )
        ).fetchone()
        if created is None:
            row = await (
                await self.conn.execute(
                    "SELECT seat_count, zone_count FROM seating.show_inventories WHERE show_id = %s", (show_id,)
                )
            ).fetchone()
            if row is None:
                raise RuntimeError(f"the inventory of show {show_id} conflicted on insert yet cannot be read")
            return MaterializeResult(created=False, seats=row["seat_count"], zones=row["zone_count"])
        await self.conn.execute(
            """
            INSERT INTO seating.show_terms (show_id, organization_id, event_id, cancelled, opens_at, closes_at,
                starts_at, max_seats_per_buyer, hold_seconds, currency, layout_id, layout_version, layout_hash, tiers,
                avoid_single_seats)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (show_id, org_id, terms.event_id, terms.cancelled, terms.opens_at, terms.closes_at, terms.starts_at,
             terms.max_seats_per_buyer, terms.hold_seconds, terms.currency, terms.layout_id, terms.layout_version,
             terms.layout_hash, Jsonb(msgspec.to_builtins(terms.tiers)), terms.avoid_single_seats),
        )
        places = {place.seat_id: place for place in plan.places}
        for start in range(0, len(seats), BATCH):
            batch = seats[start : start + BATCH]
            placed = [places.get(s.seat_id) for s in batch]
            await self.conn.execute(
                """
                INSERT INTO seating.show_seats (show_id, seat_id, organization_id, tier_id, status,
                                                rank, row_no, row_pos)
                SELECT %(show)s, u.seat_id, %(org)s, u.tier_id,
                       CASE WHEN u.blocked THEN 'blocked' ELSE 'available' END, u.rank, u.row_no, u.row_pos
                FROM unnest(%(seat_ids)b::text[], %(tier_ids)b::text[], %(blocked)b::boolean[],
                            %(ranks)b::integer[], %(row_nos)b::integer[], %(row_poses)b::integer[])
                     AS u (seat_id, tier_id, blocked, rank, row_no, row_pos)
                """,
                {
                    "show": show_id,
                    "org": org_id,
                    "seat_ids": [s.seat_id for s in batch],
                    "tier_ids": [s.tier_id for s in batch],
                    "blocked": [s.blocked for s in batch],
                    "ranks": [p.rank if p else None for p in placed],
                    "row_nos": [p.row_no if p else None for p in placed],
                    "row_poses": [p.row_pos if p else None for p in placed],
                },
            )
        if zones:
            await self.conn.execute(
                """
                INSERT INTO seating.show_zones (show_id, zone_id, organization_id, tier_id, capacity)
                SELECT %(show)s, u.zone_id, %(org)s, u.tier_id, u.capacity
                FROM unnest(%(zone_ids)b::text[], %(tier_ids)b::text[], %(capacities)b::integer[])
                     AS u (zone_id, tier_id, capacity)
                """,
                {
                    "show": show_id,
                    "org": org_id,
                    "zone_ids": [z.zone_id for z in zones],
                    "tier_ids": [z.tier_id for z in zones],
                    "capacities": [z.capacity for z in zones],
                },
            )
        return MaterializeResult(created=True, seats=len(seats), zones=len(zones))

    async def cancel(self, show_id: str) -> bool:
        """Whether the show's terms changed (False: already cancelled, or it never went on sale)."""
        cur = await self.conn.execute(
            "UPDATE seating.show_terms SET cancelled = true, updated_at = now() WHERE show_id = %s AND NOT cancelled",
            (show_id,),
        )
        return cur.rowcount == 1

    async def exists(self, show_id: str) -> bool:
        row = await (
            await self.conn.execute("SELECT 1 FROM seating.show_inventories WHERE show_id = %s", (show_id,))
        ).fetchone()
        return row is not None

    async def seat_states(self, show_id: str, seat_ids: Sequence[str]) -> dict[str, SeatState]:
        # Locked in seat order, the order every writer of show_seats takes: no deadlocks.
        rows = await (
            await self.conn.execute(
                """
                SELECT seat_id, status, tier_id FROM seating.show_seats
                WHERE show_id = %s AND seat_id = ANY(%s)
                ORDER BY seat_id
                FOR UPDATE
                """,
                (show_id, list(seat_ids)),
            )
        ).fetchall()
        return {row["seat_id"]: SeatState(row["status"], row["tier_id"]) for row in rows}

    async def set_seat_status(self, show_id: str, seat_ids: Sequence[str], status: SeatStatus) -> None:
        await self.conn.execute(
            """
            UPDATE seating.show_seats SET status = %s, version = version + 1, updated_at = now()
            WHERE show_id = %s AND seat_id = ANY(%s)
            """,
            (status, show_id, list(seat_ids)),
        )

    async def counts(self, show_id: str) -> InventoryCounts | None:
        if not await self.exists(show_id):
            return None
        rows = await (
            await self.conn.execute(
                """
                SELECT tier_id, status, count(*) AS n FROM seating.show_seats
                WHERE show_id = %s GROUP BY tier_id, status
                """,
                (show_id,),
            )
        ).fetchall()
        zones = await (
            await self.conn.execute(
                """
                SELECT zone_id, tier_id, capacity, sold, reserved FROM seating.show_zones
                WHERE show_id = %s ORDER BY zone_id
                """,
                (show_id,),
            )
        ).fetchall()
        return tally(
            show_id, ((row["tier_id"], row["status"], row["n"]) for row in rows), [ZoneCounts(**z) for z in zones]
        )
