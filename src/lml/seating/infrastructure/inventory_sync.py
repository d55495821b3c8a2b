"""Redis follows PostgreSQL: after an order's or an operator's change commits, the rows it touched
(seats, zones, the buyer's count of ordered places) are read back and applied to the show's fast
store (newer row versions only), and the holds that became orders are dropped in the same step.
Called right after the commit (fast path) and by the outbox (the guarantee)."""

from __future__ import annotations

from lml.platform.db import Database, UnitOfWork
from lml.seating.domain.availability import BuyerRow, SeatRow, ZoneRow
from lml.seating.events import InventoryChanged
from lml.seating.infrastructure.pg_order_inventory import PgOrderInventory
from lml.seating.infrastructure.redis_holds import RedisHoldStore


async def follow(store: RedisHoldStore, uow: UnitOfWork, change: InventoryChanged) -> int:
    """Apply what PostgreSQL now says of the places `change` names; returns how many rows Redis took."""
    inventory = PgOrderInventory(uow.conn)
    seats: list[SeatRow] = []
    zones: list[ZoneRow] = []
    buyers: list[BuyerRow] = []
    holds = {change.hold_id} if change.hold_id else set()
    if change.order_id is not None:
        seats, zones = await inventory.order_state(change.show_id, change.order_id)
        buyers, spent = await inventory.buyer_state(change.show_id, change.order_id)
        holds.update(spent)
    if change.seat_ids or change.zone_ids:
        more_seats, more_zones = await inventory.places_state(change.show_id, change.seat_ids, change.zone_ids)
        seats += more_seats
        zones += more_zones
    if not seats and not zones and not buyers and not holds:
        return 0
    return await store.apply(change.show_id, seats, zones, buyers, drop_holds=sorted(holds))


async def follow_now(store: RedisHoldStore, db: Database, change: InventoryChanged) -> int:
    async with db.unit_of_work(read_only=True) as uow:
        return await follow(store, uow, change)
