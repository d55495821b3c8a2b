"""Redis follows PostgreSQL: after an order's or an operator's change commits, the rows it touched
(seats, zones, the buyer's count of ordered places) are applied to the show's fast store (newer row
versions only), and the holds that became orders are dropped in the same step. Called right after the
commit (fast path) and by the outbox (the guarantee). The rows are those the change carries, read in
its own transaction (an order reserved or sold), or else read back from PostgreSQL."""

from __future__ import annotations

from lml.platform.db import Database, UnitOfWork
from lml.seating.domain.availability import InventoryRows
from lml.seating.events import InventoryChanged
from lml.seating.infrastructure.pg_order_inventory import PgOrderInventory
from lml.seating.infrastructure.redis_holds import RedisHoldStore


async def follow(store: RedisHoldStore, uow: UnitOfWork, change: InventoryChanged) -> int:
    """Apply what `change` left of the places it names; returns how many rows Redis took."""
    rows = change.rows if change.rows is not None else await _read_rows(PgOrderInventory(uow.conn), change)
    return await _apply(store, change, rows)


async def follow_now(store: RedisHoldStore, db: Database, change: InventoryChanged) -> int:
    if change.rows is not None:
        return await _apply(store, change, change.rows)
    async with db.unit_of_work(read_only=True) as uow:
        return await follow(store, uow, change)


async def _read_rows(inventory: PgOrderInventory, change: InventoryChanged) -> InventoryRows:
    rows = InventoryRows(seats=[], zones=[], buyers=[], holds=[])
    if change.order_id is not None:
        rows = await inventory.order_rows(change.show_id, change.order_id)
    if change.seat_ids or change.zone_ids:
        more_seats, more_zones = await inventory.places_state(change.show_id, change.seat_ids, change.zone_ids)
        rows = InventoryRows(seats=rows.seats + more_seats, zones=rows.zones + more_zones, buyers=rows.buyers,
                             holds=rows.holds)
    return rows


async def _apply(store: RedisHoldStore, change: InventoryChanged, rows: InventoryRows) -> int:
    holds = {*rows.holds, change.hold_id} if change.hold_id else set(rows.holds)
    if not rows.seats and not rows.zones and not rows.buyers and not holds:
        return 0
    return await store.apply(change.show_id, rows.seats, rows.zones, rows.buyers, drop_holds=sorted(holds))
