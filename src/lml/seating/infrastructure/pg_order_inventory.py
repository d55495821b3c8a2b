"""The order path on a show's inventory in PostgreSQL, inside the caller's unit of work: reserve an
order's seats and GA places (conditionally: exactly those, or nothing), sell them, release them,
return them to sale. PostgreSQL is the final judge of "never sold twice", and of the show's limit of
seats per buyer (`buyer_places`: the places of each buyer's orders, reserved or sold); Redis follows
after commit.

Every statement is conditional on the current status, so each call is idempotent, and every change
counts the row's version up (Redis applies a change only when its version is newer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from psycopg import AsyncConnection

from lml.platform.db import execute_together
from lml.platform.domain.buyer_limit import BuyerLimitExceeded
from lml.seating.domain.availability import BuyerRow, InventoryRows, SeatRow, ZoneRow
from lml.seating.domain.errors import SeatsUnavailable

# The buyer of order `%(order)s` (show `%(show)s`) with their count, and the holds of every order the
# count takes in (plus this order's): Redis drops those holds in the step that takes the count, so no
# place is counted as both held and ordered. One statement: one snapshot for both.
_BUYER_ROWS = """
    SELECT b.buyer_key, b.places, b.version,
           array(SELECT o.hold_id FROM seating.order_buyers o
                 WHERE o.show_id = b.show_id AND o.buyer_key = b.buyer_key
                   AND (o.order_id = %(order)s
                        OR EXISTS (SELECT FROM seating.order_places p WHERE p.order_id = o.order_id
                                   AND p.status IN ('reserved', 'sold')))) AS holds
    FROM seating.order_buyers mine
    JOIN seating.buyer_places b ON b.show_id = mine.show_id AND b.buyer_key = mine.buyer_key
    WHERE mine.order_id = %(order)s AND mine.show_id = %(show)s
"""


# The statements of `reserve`, sent together. Rows are locked in seat id order first, so that two orders
# never wait on each other crosswise.
_RESERVE_SEATS = """
    WITH wanted AS (
        SELECT seat_id FROM seating.show_seats
        WHERE show_id = %(show)s AND seat_id = ANY(%(seats)s)
        ORDER BY seat_id
        FOR UPDATE
    )
    UPDATE seating.show_seats s
    SET status = 'reserved', order_id = %(order)s, version = s.version + 1, updated_at = now()
    FROM wanted
    WHERE s.show_id = %(show)s AND s.seat_id = wanted.seat_id AND s.status = 'available'
    RETURNING s.seat_id, s.status, s.version
"""

# Zone number {i}'s places, if that many are left.
_RESERVE_ZONE = """
    UPDATE seating.show_zones
    SET reserved = reserved + %(zone_quantity_{i})s, version = version + 1, updated_at = now()
    WHERE show_id = %(show)s AND zone_id = %(zone_{i})s AND sold + reserved + %(zone_quantity_{i})s <= capacity
    RETURNING zone_id, capacity, sold + reserved AS taken, version
"""

# The buyer's places counted, unless that passes the limit: one conditional upsert, so concurrent orders
# of one buyer queue on the row and each sees the others' places. No row: over the limit, or a show
# without inventory.
_COUNT_BUYER = """
    INSERT INTO seating.buyer_places AS b (show_id, buyer_key, organization_id, places, version)
    SELECT %(show)s, %(buyer)s, i.organization_id, %(quantity)s, 1
    FROM seating.show_inventories i
    WHERE i.show_id = %(show)s AND (%(max)s::integer IS NULL OR %(quantity)s <= %(max)s)
    ON CONFLICT (show_id, buyer_key) DO UPDATE
    SET places = b.places + excluded.places, version = b.version + 1, updated_at = now()
    WHERE %(max)s::integer IS NULL OR b.places + excluded.places <= %(max)s
    RETURNING places, version
"""

_ADD_PLACES = """
    INSERT INTO seating.order_places (show_id, order_id, place, is_zone, quantity, organization_id, status)
    SELECT %(show)s, %(order)s, u.place, u.is_zone, u.quantity, i.organization_id, 'reserved'
    FROM unnest(%(places)s::text[], %(is_zone)s::boolean[], %(quantities)s::integer[])
        AS u (place, is_zone, quantity)
    CROSS JOIN seating.show_inventories i
    WHERE i.show_id = %(show)s
    -- A late payment takes back the places its expired order had released.
    ON CONFLICT (order_id, is_zone, place) DO UPDATE SET status = 'reserved', updated_at = now()
    WHERE seating.order_places.status = 'released'
"""

# The order's buyer, and the holds of the buyer's orders. The holds are read after the buyer's row was
# locked: any other order of theirs committed before (and is seen here) or waits for this one (as
# `_BUYER_ROWS` reads).
_ADD_BUYER = """
    WITH added AS (
        INSERT INTO seating.order_buyers (order_id, show_id, buyer_key, hold_id, organization_id)
        SELECT %(order)s, %(show)s, %(buyer)s, %(hold)s, i.organization_id
        FROM seating.show_inventories i WHERE i.show_id = %(show)s
        ON CONFLICT (order_id) DO NOTHING
    )
    SELECT array(SELECT o.hold_id FROM seating.order_buyers o
                 WHERE o.show_id = %(show)s AND o.buyer_key = %(buyer)s
                   AND EXISTS (SELECT FROM seating.order_places p WHERE p.order_id = o.order_id
                               AND p.status IN ('reserved', 'sold'))) AS holds
"""


class PgOrderInventory:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self.conn = conn

    async def reserve(
        self, show_id: str, order_id: str, seat_ids: Sequence[str], zones: Mapping[str, int], *, buyer_key: str,
        hold_id: str, max_per_buyer: int | None,
    ) -> InventoryRows:
        """`available → reserved` for exactly these seats and GA places, counted for `buyer_key`; or
        raises BuyerLimitExceeded (the buyer's places would pass `max_per_buyer`; None: no limit) or
        SeatsUnavailable naming every conflict, having changed rows already: the caller rolls back (its
        transaction, or a savepoint of its own; none here, which would cost two round trips for callers
        that roll back anyway). One round trip: the seats, each zone, the buyer's count, the order's
        places and buyer, in that order, so rows are locked seats first, then zones, then the buyer's
        count, as `_move` does. Returns the rows as this transaction leaves them, for Redis to follow."""
        zone_ids = sorted(zones)
        places = [(seat_id, False, 1) for seat_id in seat_ids] + [(z, True, zones[z]) for z in zone_ids]
        params: dict[str, Any] = {
            "show": show_id, "order": order_id, "seats": list(seat_ids), "buyer": buyer_key, "hold": hold_id,
            "quantity": len(seat_ids) + sum(zones.values()), "max": max_per_buyer,
            "places": [p[0] for p in places], "is_zone": [p[1] for p in places], "quantities": [p[2] for p in places],
        }
        statements = [_RESERVE_SEATS] if seat_ids else []
        for i, zone_id in enumerate(zone_ids):
            params[f"zone_{i}"], params[f"zone_quantity_{i}"] = zone_id, zones[zone_id]
            statements.append(_RESERVE_ZONE.replace("{i}", str(i)))
        results = await execute_together(self.conn, [*statements, _COUNT_BUYER, _ADD_PLACES, _ADD_BUYER], params)
        reserved = results[0] if seat_ids else []
        zone_results = results[len(statements) - len(zone_ids):len(statements)]
        counted, added = results[len(statements)], results[len(statements) + 2][0]
        seats = [SeatRow(row["seat_id"], row["status"], row["version"]) for row in reserved]
        got = {row["seat_id"] for row in reserved}
        taken = [seat_id for seat_id in seat_ids if seat_id not in got]
        zone_rows = [ZoneRow(row["zone_id"], row["capacity"], row["taken"], row["version"])
                     for found in zone_results for row in found]
        if not counted and max_per_buyer is not None:
            await self._refuse_over_limit(show_id, buyer_key, params["quantity"], max_per_buyer)
        buyer = BuyerRow(buyer_key, counted[0]["places"], counted[0]["version"]) if counted else None
        short = {zone_id: await self._places_left(show_id, zone_id)
                 for zone_id, found in zip(zone_ids, zone_results, strict=True) if not found}
        if taken or short:
            raise SeatsUnavailable(taken, short, zones)
        holds = {hold_id, *added["holds"]}
        return InventoryRows(seats=seats, zones=zone_rows, buyers=[buyer] if buyer else [], holds=sorted(holds))

    async def _refuse_over_limit(self, show_id: str, buyer_key: str, quantity: int, max_per_buyer: int) -> None:
        row = await (
            await self.conn.execute(
                "SELECT places FROM seating.buyer_places WHERE show_id = %s AND buyer_key = %s", (show_id, buyer_key)
            )
        ).fetchone()
        raise BuyerLimitExceeded(requested=quantity, held=0, ordered=int(row["places"]) if row else 0,
                                 limit=max_per_buyer)

    async def _places_left(self, show_id: str, zone_id: str) -> int:
        left = await (
            await self.conn.execute(
                "SELECT capacity - sold - reserved AS left FROM seating.show_zones WHERE show_id = %s AND zone_id = %s",
                (show_id, zone_id),
            )
        ).fetchone()
        return max(0, left["left"]) if left else 0

    async def sell(self, show_id: str, order_id: str) -> InventoryRows | None:
        """The order's reserved seats and places become sold (still the buyer's: counted as they were).
        Returns the rows as this transaction leaves them, for Redis to follow; None when nothing moved.
        The buyer's row is as the statement found it: a sale does not change it."""
        moved, rows = await self._move(show_id, order_id, "reserved", "sold", seat_status="sold", reserved=-1,
                                       sold=1, uncount=False)
        return rows if moved else None

    async def release(self, show_id: str, order_id: str) -> int:
        """The order's reserved seats and places go back on sale (it expired or was cancelled)."""
        moved, _ = await self._move(show_id, order_id, "reserved", "released", seat_status="available", reserved=-1,
                                    sold=0, uncount=True)
        return moved

    async def return_to_sale(self, show_id: str, order_id: str) -> int:
        """The order's sold seats and places go back on sale (it was refunded)."""
        moved, _ = await self._move(show_id, order_id, "sold", "returned", seat_status="available", reserved=0,
                                    sold=-1, uncount=True)
        return moved

    async def return_places_to_sale(
        self, show_id: str, order_id: str, seat_ids: Sequence[str], zones: Mapping[str, int]
    ) -> int:
        """Some of the order's sold seats and GA places go back on sale (some of its tickets were
        refunded); they leave the buyer's count. Not idempotent for GA places: the caller's own state
        change (a refund settling once) makes it happen once."""
        row = await (
            await self.conn.execute(
                """
                WITH seat_rows AS (
                    UPDATE seating.order_places SET status = 'returned', returned = 1, updated_at = now()
                    WHERE order_id = %(order)s AND show_id = %(show)s AND NOT is_zone AND status = 'sold'
                      AND place = ANY(%(seats)s)
                    RETURNING place, 1 AS quantity
                ), zone_rows AS (
                    UPDATE seating.order_places p
                    SET returned = p.returned + w.quantity,
                        status = CASE WHEN p.returned + w.quantity = p.quantity THEN 'returned' ELSE p.status END,
                        updated_at = now()
                    FROM unnest(%(zones)s::text[], %(quantities)s::integer[]) AS w (zone_id, quantity)
                    WHERE p.order_id = %(order)s AND p.show_id = %(show)s AND p.is_zone AND p.status = 'sold'
                      AND p.place = w.zone_id AND p.returned + w.quantity <= p.quantity
                    RETURNING p.place, w.quantity
                ), seats AS (
                    UPDATE seating.show_seats s
                    SET status = 'available', order_id = NULL, version = s.version + 1, updated_at = now()
                    FROM seat_rows
                    WHERE s.show_id = %(show)s AND s.seat_id = seat_rows.place AND s.order_id = %(order)s
                      AND s.status = 'sold'
                    RETURNING s.seat_id
                ), zones AS (
                    UPDATE seating.show_zones z
                    SET sold = z.sold - zone_rows.quantity, version = z.version + 1, updated_at = now()
                    FROM zone_rows
                    WHERE z.show_id = %(show)s AND z.zone_id = zone_rows.place
                    RETURNING z.zone_id
                ), uncounted AS (
                    UPDATE seating.buyer_places b
                    SET places = b.places - m.places, version = b.version + 1, updated_at = now()
                    FROM (SELECT sum(quantity) AS places
                          FROM (SELECT quantity FROM seat_rows UNION ALL SELECT quantity FROM zone_rows) r) m,
                         seating.order_buyers o
                    WHERE m.places > 0 AND o.order_id = %(order)s AND o.show_id = %(show)s
                      AND b.show_id = %(show)s AND b.buyer_key = o.buyer_key
                    RETURNING b.buyer_key
                )
                SELECT (SELECT count(*) FROM seats) + (SELECT count(*) FROM zones) AS moved
                """,
                {"show": show_id, "order": order_id, "seats": list(seat_ids), "zones": list(zones),
                 "quantities": list(zones.values())},
            )
        ).fetchone()
        return int(row["moved"]) if row else 0

    async def _move(
        self, show_id: str, order_id: str, source: str, target: str, *, seat_status: str, reserved: int, sold: int,
        uncount: bool,
    ) -> tuple[int, InventoryRows]:
        """`uncount`: the places leave the buyer's count (they are no longer the buyer's). Returns how
        many seats and zones moved, and their rows with the buyer's as the statement found it (which
        only a move that keeps the count leaves as it was)."""
        row = await (
            await self.conn.execute(
                f"""
                WITH moved AS (
                    -- A zone's places that went back on sale one by one already left with them.
                    UPDATE seating.order_places SET status = %(target)s, updated_at = now()
                    WHERE order_id = %(order)s AND show_id = %(show)s AND status = %(source)s
                    RETURNING place, is_zone, quantity - returned AS quantity
                ), seats AS (
                    UPDATE seating.show_seats s
                    SET status = %(seat_status)s,
                        order_id = CASE WHEN %(seat_status)s = 'available' THEN NULL ELSE s.order_id END,
                        version = s.version + 1, updated_at = now()
                    FROM moved
                    WHERE NOT moved.is_zone AND s.show_id = %(show)s AND s.seat_id = moved.place
                      AND s.order_id = %(order)s AND s.status = %(source)s
                    RETURNING s.seat_id, s.status, s.version
                ), zones AS (
                    UPDATE seating.show_zones z
                    SET reserved = z.reserved + %(reserved)s * moved.quantity,
                        sold = z.sold + %(sold)s * moved.quantity,
                        version = z.version + 1, updated_at = now()
                    FROM moved
                    WHERE moved.is_zone AND z.show_id = %(show)s AND z.zone_id = moved.place
                    RETURNING z.zone_id, z.capacity, z.sold + z.reserved AS taken, z.version
                ), uncounted AS (
                    -- Runs although nothing reads it: PostgreSQL always completes a data-modifying WITH.
                    UPDATE seating.buyer_places b
                    SET places = b.places - m.places, version = b.version + 1, updated_at = now()
                    FROM (SELECT sum(quantity) AS places FROM moved) m, seating.order_buyers o
                    WHERE %(uncount)s AND m.places > 0 AND o.order_id = %(order)s AND o.show_id = %(show)s
                      AND b.show_id = %(show)s AND b.buyer_key = o.buyer_key
                    RETURNING b.buyer_key
                ), buyer AS ({_BUYER_ROWS})
                SELECT (SELECT coalesce(json_agg(json_build_array(seat_id, status, version)), '[]') FROM seats)
                           AS seats,
                       (SELECT coalesce(json_agg(json_build_array(zone_id, capacity, taken, version)), '[]')
                        FROM zones) AS zones,
                       (SELECT coalesce(json_agg(json_build_array(buyer_key, places, version)), '[]') FROM buyer)
                           AS buyers,
                       array(SELECT unnest(holds) FROM buyer) AS holds
                """,  # noqa: S608 - fixed text
                {"show": show_id, "order": order_id, "source": source, "target": target, "seat_status": seat_status,
                 "reserved": reserved, "sold": sold, "uncount": uncount},
            )
        ).fetchone()
        if row is None:
            raise RuntimeError("a SELECT without FROM returned no row")
        rows = InventoryRows(seats=msgspec.convert(row["seats"], list[SeatRow]),
                             zones=msgspec.convert(row["zones"], list[ZoneRow]),
                             buyers=msgspec.convert(row["buyers"], list[BuyerRow]), holds=row["holds"])
        return len(rows.seats) + len(rows.zones), rows

    async def order_rows(self, show_id: str, order_id: str) -> InventoryRows:
        """The current rows of every seat and zone the order ever took, and its buyer's (for Redis to
        follow)."""
        places = await (
            await self.conn.execute(
                """
                SELECT p.place, p.is_zone, s.status, s.version AS seat_version,
                       z.capacity, z.sold + z.reserved AS taken, z.version AS zone_version
                FROM seating.order_places p
                LEFT JOIN seating.show_seats s ON NOT p.is_zone AND s.show_id = p.show_id AND s.seat_id = p.place
                LEFT JOIN seating.show_zones z ON p.is_zone AND z.show_id = p.show_id AND z.zone_id = p.place
                WHERE p.order_id = %s AND p.show_id = %s
                """,
                (order_id, show_id),
            )
        ).fetchall()
        buyers = await (await self.conn.execute(_BUYER_ROWS, {"show": show_id, "order": order_id})).fetchall()
        seats, zones = _rows(places)
        return InventoryRows(seats=seats, zones=zones,
                             buyers=[BuyerRow(r["buyer_key"], r["places"], r["version"]) for r in buyers],
                             holds=[hold for r in buyers for hold in r["holds"]])

    async def places_state(
        self, show_id: str, seat_ids: Sequence[str], zone_ids: Sequence[str]
    ) -> tuple[list[SeatRow], list[ZoneRow]]:
        seats = await (
            await self.conn.execute(
                "SELECT seat_id, status, version FROM seating.show_seats WHERE show_id = %s AND seat_id = ANY(%s)",
                (show_id, list(seat_ids)),
            )
        ).fetchall()
        zones = await (
            await self.conn.execute(
                "SELECT zone_id, capacity, sold + reserved AS taken, version FROM seating.show_zones"
                " WHERE show_id = %s AND zone_id = ANY(%s)",
                (show_id, list(zone_ids)),
            )
        ).fetchall()
        return ([SeatRow(r["seat_id"], r["status"], r["version"]) for r in seats],
                [ZoneRow(r["zone_id"], r["capacity"], r["taken"], r["version"]) for r in zones])


def _rows(rows: list[dict[str, Any]]) -> tuple[list[SeatRow], list[ZoneRow]]:
    seats = [SeatRow(r["place"], r["status"], r["seat_version"]) for r in rows if not r["is_zone"] and r["status"]]
    zones = [ZoneRow(r["place"], r["capacity"], r["taken"], r["zone_version"])
             for r in rows if r["is_zone"] and r["capacity"] is not None]
    return seats, zones
