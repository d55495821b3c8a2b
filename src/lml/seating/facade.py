"""What other contexts may call on seating.

Holds (ordering): `verify_hold` checks a buyer's hold (live, theirs, its token) and gives its seats
with their tiers and its GA places; `reserve_for_order`, `mark_sold`, `release_order` and
`return_to_sale` move an order's seats and places in PostgreSQL inside the caller's unit of work
(conditional updates: exactly those seats, or `SeatsUnavailable` and nothing changed; and within the
show's limit of seats per buyer, or `BuyerLimitExceeded` and nothing changed), and `sync_order` makes
Redis follow right after the caller commits (the outbox does it too, at least once). `held_counts`
says how many places live holds take, per tier.

Inventory: the catalog creates a show's inventory when the show goes on sale, blocks and unblocks
seats for operators, and reads the counts (its `sold_out`). Each call runs inside the caller's
unit of work (`lml.platform.db.UnitOfWork`) and never commits it: the caller's transaction makes
the inventory change and its own change atomic. Row-level security follows the unit of work: an
operator's sees its organization's inventory only; one acting as no organization sees every show's.
"""

from __future__ import annotations

from collections.abc import Sequence

from lml.platform.db import UnitOfWork
from lml.platform.outbox import add_event
from lml.seating.application import block_seats
from lml.seating.application import inventory_counts as counts_use_case
from lml.seating.application import materialize_inventory as materialize_use_case
from lml.seating.domain.errors import HoldNotFound, HoldTokenMismatch, SeatsUnavailable
from lml.seating.domain.hold import HeldSeat, HeldZone, VerifiedHold
from lml.seating.domain.inventory import (
    InventoryCounts,
    InventoryNotFound,
    InventorySeat,
    InventoryZone,
    MaterializeResult,
    SeatsNotBlockable,
    SeatStatus,
    TierCounts,
    ZoneCounts,
)
from lml.seating.events import InventoryChanged
from lml.seating.infrastructure.order_facade import (
    held_counts,
    mark_sold,
    release_order,
    reserve_for_order,
    return_places_to_sale,
    return_to_sale,
    sync_order,
    verify_hold,
)
from lml.seating.infrastructure.pg_inventory import PgInventory

__all__ = [
    "HeldSeat",
    "HeldZone",
    "HoldNotFound",
    "HoldTokenMismatch",
    "InventoryChanged",
    "InventoryCounts",
    "InventoryNotFound",
    "InventorySeat",
    "InventoryZone",
    "MaterializeResult",
    "SeatStatus",
    "SeatsNotBlockable",
    "SeatsUnavailable",
    "TierCounts",
    "VerifiedHold",
    "ZoneCounts",
    "held_counts",
    "inventory_counts",
    "mark_sold",
    "materialize_inventory",
    "release_order",
    "reserve_for_order",
    "return_places_to_sale",
    "return_to_sale",
    "set_seats_blocked",
    "sync_order",
    "verify_hold",
]


async def materialize_inventory(
    uow: UnitOfWork,
    show_id: str,
    org_id: str,
    seats: Sequence[InventorySeat],
    zones: Sequence[InventoryZone],
) -> MaterializeResult:
    """One row per seat (`available`, or `blocked` when asked) and one per GA zone, all in the
    caller's transaction. Idempotent: a show that has an inventory keeps it (`created=False`).
    The unit of work must act as `org_id` (only an operator's creates inventory)."""
    return await materialize_use_case.materialize_inventory(
        PgInventory(uow.conn), show_id=show_id, org_id=org_id, seats=seats, zones=zones
    )


async def set_seats_blocked(uow: UnitOfWork, show_id: str, seat_ids: Sequence[str], blocked: bool) -> list[str]:
    """`available → blocked` (blocked=True) or back; returns the seats that changed. Seats reserved
    or sold (or unpriced, to unblock) raise `SeatsNotBlockable` with `conflicts`; seats the show does
    not have raise `InvalidInput`; a show without inventory raises `InventoryNotFound`. All or none.
    The change is also recorded for the outbox (`InventoryChanged`), so that holds' fast store
    follows once the caller commits."""
    changed = await block_seats.set_seats_blocked(PgInventory(uow.conn), show_id=show_id, seat_ids=seat_ids,
                                                  blocked=blocked)
    if changed:
        await add_event(uow, InventoryChanged(show_id=show_id, seat_ids=changed))
    return changed


async def inventory_counts(uow: UnitOfWork, show_id: str) -> InventoryCounts:
    """Seats per status and per tier, and each GA zone's capacity, sold, reserved and remaining.
    Raises `InventoryNotFound` when the show has not gone on sale."""
    return await counts_use_case.inventory_counts(PgInventory(uow.conn), show_id=show_id)
