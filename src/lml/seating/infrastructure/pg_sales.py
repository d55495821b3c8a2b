"""The sales path's reads of a show's inventory in PostgreSQL: the state Redis is rebuilt from (seats,
GA zones, and the places of each buyer's orders)."""

from __future__ import annotations

import msgspec

from lml.platform.db import Database
from lml.seating.domain.availability import BuyerRow, InventoryState, SeatRow, ZoneRow
from lml.seating.domain.seat_quality import PlacedSeat, ShowRow


class PgInventoryReads:
    """Reads of their own, acting as no organization (every show's rows); InventoryStateSource."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def state(self, show_id: str) -> InventoryState | None:
        async with self._db.unit_of_work() as uow:
            found = await (
                await uow.conn.execute("SELECT rows FROM seating.show_inventories WHERE show_id = %s", (show_id,))
            ).fetchone()
            if found is None:
                return None
            seats = await (
                await uow.conn.execute(
                    "SELECT seat_id, status, version, tier_id, rank, row_no, row_pos FROM seating.show_seats"
                    " WHERE show_id = %s",
                    (show_id,),
                )
            ).fetchall()
            zones = await (
                await uow.conn.execute(
                    "SELECT zone_id, capacity, sold + reserved AS taken, version FROM seating.show_zones"
                    " WHERE show_id = %s",
                    (show_id,),
                )
            ).fetchall()
            buyers = await (
                await uow.conn.execute(
                    "SELECT buyer_key, places, version FROM seating.buyer_places WHERE show_id = %s", (show_id,)
                )
            ).fetchall()
        return InventoryState(
            seats=[SeatRow(r["seat_id"], r["status"], r["version"]) for r in seats],
            zones=[ZoneRow(r["zone_id"], r["capacity"], r["taken"], r["version"]) for r in zones],
            buyers=[BuyerRow(r["buyer_key"], r["places"], r["version"]) for r in buyers],
            places=[PlacedSeat(r["seat_id"], r["rank"], r["row_no"], r["row_pos"], r["tier_id"]) for r in seats
                    if r["rank"] is not None],
            rows=msgspec.convert(found["rows"], list[ShowRow]),
        )

    async def tiers(self, show_id: str) -> tuple[dict[str, str | None], dict[str, str]]:
        """Each seat's and each GA zone's price tier (fixed once the show is on sale)."""
        async with self._db.unit_of_work(read_only=True) as uow:
            seats = await (
                await uow.conn.execute("SELECT seat_id, tier_id FROM seating.show_seats WHERE show_id = %s", (show_id,))
            ).fetchall()
            zones = await (
                await uow.conn.execute("SELECT zone_id, tier_id FROM seating.show_zones WHERE show_id = %s", (show_id,))
            ).fetchall()
        return {r["seat_id"]: r["tier_id"] for r in seats}, {r["zone_id"]: r["tier_id"] for r in zones}
