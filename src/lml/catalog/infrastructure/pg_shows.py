"""ShowRepository on PostgreSQL (`catalog.shows`, `catalog.price_tiers`)."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from lml.catalog.domain.pricing import Fee, PriceTier, PricingRule
from lml.catalog.domain.show import Show
from lml.catalog.domain.venue import LayoutPin
from lml.catalog.infrastructure.sql_ids import as_uuid

_COLUMNS = """id::text AS show_id, event_id::text AS event_id, organization_id::text AS org_id, starts_at, doors_at,
    layout_id::text AS layout_id, layout_version, layout_hash, currency, pricing, on_sale_at, off_sale_at,
    max_seats_per_buyer, hold_seconds, status, blocked_seat_ids, created_at, updated_at, went_on_sale_at,
    cancelled_at, avoid_single_seats"""



def _show(row: dict[str, Any], tiers: tuple[PriceTier, ...]) -> Show:
    pin = LayoutPin(layout_id=row.pop("layout_id"), version=row.pop("layout_version"), hash=row.pop("layout_hash"))
    pricing = msgspec.convert(row.pop("pricing"), tuple[PricingRule, ...])
    return Show(layout=pin, pricing=pricing, tiers=tiers, **{**row, "blocked_seat_ids": tuple(row["blocked_seat_ids"])})


class PgShows:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self.conn = conn

    async def add(self, show: Show) -> None:
        await self.conn.execute(
            """
            INSERT INTO catalog.shows (id, event_id, organization_id, starts_at, doors_at, layout_id, layout_version,
                layout_hash, currency, pricing, on_sale_at, off_sale_at, max_seats_per_buyer, hold_seconds, status,
                blocked_seat_ids, created_at, updated_at, went_on_sale_at, cancelled_at, avoid_single_seats)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (show.show_id, show.event_id, show.org_id, show.starts_at, show.doors_at, show.layout.layout_id,
             show.layout.version, show.layout.hash, show.currency, Jsonb(msgspec.to_builtins(show.pricing)),
             show.on_sale_at, show.off_sale_at, show.max_seats_per_buyer, show.hold_seconds, show.status,
             list(show.blocked_seat_ids), show.created_at, show.updated_at, show.went_on_sale_at, show.cancelled_at,
             show.avoid_single_seats),
        )
        await self._insert_tiers(show)

    async def _insert_tiers(self, show: Show) -> None:
        async with self.conn.cursor() as cur:
            await cur.executemany(
                """
                INSERT INTO catalog.price_tiers (show_id, tier_id, organization_id, position, name, price, fees)
                VALUES (%s, %s, %s, %s, %s, %s, %s)
                """,
                [(show.show_id, t.tier_id, show.org_id, i, t.name, t.price, Jsonb(msgspec.to_builtins(t.fees)))
                 for i, t in enumerate(show.tiers)],
            )

    async def _tiers(self, show_ids: list[str]) -> dict[str, tuple[PriceTier, ...]]:
        rows = await (
            await self.conn.execute(
                """
                SELECT show_id::text AS show_id, tier_id, name, price, fees FROM catalog.price_tiers
                WHERE show_id = ANY(%s::uuid[]) ORDER BY show_id, position
                """,
                (show_ids,),
            )
        ).fetchall()
        tiers: dict[str, list[PriceTier]] = {show_id: [] for show_id in show_ids}
        for row in rows:
            tiers[row["show_id"]].append(PriceTier(tier_id=row["tier_id"], name=row["name"], price=row["price"],
                                                   fees=msgspec.convert(row["fees"], tuple[Fee, ...])))
        return {show_id: tuple(t) for show_id, t in tiers.items()}

    async def get(self, show_id: str, *, for_update: bool = False) -> Show | None:
        if as_uuid(show_id) is None:
            return None
        lock = " FOR UPDATE" if for_update else ""
        row = await (
            await self.conn.execute(f"SELECT {_COLUMNS} FROM catalog.shows WHERE id = %s{lock}", (show_id,))  # noqa: S608 - fixed text
        ).fetchone()
        if row is None:
            return None
        return _show(row, (await self._tiers([show_id]))[show_id])

    async def save(self, show: Show) -> None:
        updated = await self.conn.execute(
            """
            UPDATE catalog.shows SET starts_at = %s, doors_at = %s, layout_id = %s, layout_version = %s,
                layout_hash = %s, currency = %s, pricing = %s, on_sale_at = %s, off_sale_at = %s,
                max_seats_per_buyer = %s, hold_seconds = %s, status = %s, blocked_seat_ids = %s, updated_at = %s,
                went_on_sale_at = %s, cancelled_at = %s, avoid_single_seats = %s
            WHERE id = %s
            """,
            (show.starts_at, show.doors_at, show.layout.layout_id, show.layout.version, show.layout.hash,
             show.currency, Jsonb(msgspec.to_builtins(show.pricing)), show.on_sale_at, show.off_sale_at,
             show.max_seats_per_buyer, show.hold_seconds, show.status, list(show.blocked_seat_ids), show.updated_at,
             show.went_on_sale_at, show.cancelled_at, show.avoid_single_seats, show.show_id),
        )
        # Only a draft's tiers can have changed; and only a show this organization has (row-level
        # security hid any other from the UPDATE) gets its tiers replaced: inserting them for another
        # organization's show would hand its buyers tiers nobody set.
        if updated.rowcount == 1 and show.status == "draft":
            await self.conn.execute("DELETE FROM catalog.price_tiers WHERE show_id = %s", (show.show_id,))
            await self._insert_tiers(show)

    async def of_event(self, event_id: str) -> list[Show]:
        rows = await (
            await self.conn.execute(
                f"SELECT {_COLUMNS} FROM catalog.shows WHERE event_id = %s ORDER BY starts_at, id",  # noqa: S608 - fixed text
                (event_id,),
            )
        ).fetchall()
        tiers = await self._tiers([row["show_id"] for row in rows])
        return [_show(row, tiers[row["show_id"]]) for row in rows]
