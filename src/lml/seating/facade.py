"""What other contexts may call on seating: a `SeatingFacade`, built by the composition root over
seating's services. Calls that work inside the caller's transaction take its unit of work first and
never commit it: the caller's transaction makes seating's change and its own atomic.

Inventory (the catalog): `materialize_inventory` creates a show's inventory, with seating's own copy
of the show's terms of sale, when the show goes on sale; `set_seats_blocked` blocks and unblocks
seats for operators; `inventory_counts` reads the counts (the catalog's `sold_out`). Row-level
security follows the unit of work: an operator's sees its organization's inventory only; one acting
as no organization sees every show's.

Holds and orders (ordering): `sale_terms` reads a show's terms of sale in the caller's transaction
(what an order is priced and checked with); `verify_hold` checks a buyer's hold (live, theirs, its token) and gives
its seats with their tiers and labels and its GA places; `reserve_for_order`, `mark_sold`,
`release_order`, `return_to_sale` and `return_places_to_sale` move an order's seats and places in
PostgreSQL (conditional updates: exactly those, or `SeatsUnavailable` and nothing changed), each
recording an `InventoryChanged` outbox event that makes Redis follow at least once; `sync_order`
makes Redis follow right after the caller commits. `held_counts` says how many places live holds
take, per tier (an operator's sales report); `places_left` how many places nobody holds, has
reserved or bought (the waiting room's "sold out").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lml.platform.db import UnitOfWork
from lml.platform.outbox import add_event
from lml.seating.application import inventory_counts as counts_use_case
from lml.seating.application import materialize_inventory as materialize_use_case
from lml.seating.application import seat_blocking
from lml.seating.application import verify_hold as verify_use_case
from lml.seating.application.read_availability import read_availability
from lml.seating.domain.availability import AVAILABLE
from lml.seating.domain.best_available import SingleSeatRule
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
from lml.seating.domain.sale_terms import SaleTerms, SaleTier, SaleTierFee
from lml.seating.domain.seat_quality import SeatGeometry, VenueGeometry
from lml.seating.events import InventoryChanged, SaleClosed
from lml.seating.infrastructure.held_counts import held_counts
from lml.seating.infrastructure.inventory_sync import follow_now
from lml.seating.infrastructure.pg_inventory import PgInventory
from lml.seating.infrastructure.pg_order_inventory import PgOrderInventory
from lml.seating.infrastructure.sale_terms_reader import read_sale_terms
from lml.seating.infrastructure.services import SeatingServices

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
    "SaleTerms",
    "SaleTier",
    "SaleTierFee",
    "SeatGeometry",
    "SeatStatus",
    "SeatingFacade",
    "SeatingServices",
    "SeatsNotBlockable",
    "SeatsUnavailable",
    "SingleSeatRule",
    "TierCounts",
    "VenueGeometry",
    "VerifiedHold",
    "ZoneCounts",
]


class SeatingFacade:
    def __init__(self, services: SeatingServices) -> None:
        self._services = services

    # The catalog's inventory

    async def materialize_inventory(
        self, uow: UnitOfWork, terms: SaleTerms, seats: Sequence[InventorySeat], zones: Sequence[InventoryZone],
        geometry: Sequence[SeatGeometry] = (), venue: VenueGeometry | None = None,
    ) -> MaterializeResult:
        """One row per seat (`available`, or `blocked` when asked) and one per GA zone, and the show's
        terms of sale. Idempotent: a show that has an inventory keeps it (`created=False`). The unit
        of work must act as the show's organization (only an operator's creates inventory).
        `geometry` (the pinned layout's seats, in its order) and `venue` (its focal point and viewport)
        rank the seats for best available, once."""
        return await materialize_use_case.materialize_inventory(
            PgInventory(uow.conn), terms=terms, seats=seats, zones=zones, geometry=geometry,
            venue=venue or materialize_use_case.DEFAULT_VENUE,
        )

    async def set_seats_blocked(
        self, uow: UnitOfWork, show_id: str, seat_ids: Sequence[str], blocked: bool
    ) -> list[str]:
        """`available → blocked` (blocked=True) or back; returns the seats that changed. Seats reserved
        or sold (or unpriced, to unblock) raise `SeatsNotBlockable` with `conflicts`; seats the show
        does not have raise `InvalidInput`; a show without inventory raises `InventoryNotFound`. All or
        none. Recorded for the outbox (`InventoryChanged`): holds' fast store follows once it commits."""
        changed = await seat_blocking.set_seats_blocked(PgInventory(uow.conn), show_id=show_id, seat_ids=seat_ids,
                                                      blocked=blocked)
        if changed:
            await add_event(uow, InventoryChanged(show_id=show_id, seat_ids=changed))
        return changed

    async def close_sale(self, uow: UnitOfWork, show_id: str) -> None:
        """The show is cancelled: from this transaction on its terms refuse every hold, and once it
        commits its live holds are dropped (`SaleClosed`). Nothing for a show that never went on sale;
        idempotent."""
        if await PgInventory(uow.conn).cancel(show_id):
            await add_event(uow, SaleClosed(show_id=show_id))

    async def inventory_counts(self, uow: UnitOfWork, show_id: str) -> InventoryCounts:
        """Seats per status and per tier, and each GA zone's capacity, sold, reserved and remaining.
        Raises `InventoryNotFound` when the show has not gone on sale."""
        return await counts_use_case.inventory_counts(PgInventory(uow.conn), show_id=show_id)

    async def sale_terms(self, uow: UnitOfWork, show_id: str) -> SaleTerms | None:
        """The show's terms of sale as the caller's transaction sees them (cancelled in the same
        transaction as the catalog's show); None for a show never put on sale."""
        return await read_sale_terms(uow.conn, show_id)

    # Holds and orders

    async def verify_hold(self, *, hold_id: str, hold_token: str, owner: str) -> VerifiedHold:
        """The live hold with its seats' tiers and labels and its zones. Raises HoldNotFound (unknown,
        expired, or another buyer's hold) or HoldTokenMismatch (the token is not the hold's)."""
        return await verify_use_case.verify_hold(self._services.holding, self._services.places, hold_id=hold_id,
                                                 token=hold_token, owner=owner)

    async def reserve_for_order(
        self, uow: UnitOfWork, *, show_id: str, order_id: str, seat_ids: Sequence[str], zones: Mapping[str, int],
        hold_id: str, buyer_key: str, max_per_buyer: int | None,
    ) -> InventoryChanged:
        """`available → reserved` for exactly these seats and GA places, counted for the buyer
        `buyer_key` (`lml.platform.domain.buyer_limit.limit_key`). Raises `BuyerLimitExceeded` when the
        places of the buyer's orders at this show, reserved or sold, would pass `max_per_buyer` (None:
        not checked), or `SeatsUnavailable` (`seat_ids`, `zones`: what is taken or short); either
        leaves the caller's transaction to roll back (or a savepoint it opened around the call), as
        some rows may have changed. Returns the change it recorded, for `sync_order` once the caller commits."""
        rows = await PgOrderInventory(uow.conn).reserve(show_id, order_id, seat_ids, zones, buyer_key=buyer_key,
                                                        hold_id=hold_id, max_per_buyer=max_per_buyer)
        change = InventoryChanged(show_id=show_id, order_id=order_id, hold_id=hold_id, rows=rows)
        await add_event(uow, change)
        return change

    async def mark_sold(self, uow: UnitOfWork, *, show_id: str, order_id: str) -> None:
        """The order's reserved seats and places become sold. Idempotent."""
        if (rows := await PgOrderInventory(uow.conn).sell(show_id, order_id)) is not None:
            await add_event(uow, InventoryChanged(show_id=show_id, order_id=order_id, rows=rows))

    async def release_order(self, uow: UnitOfWork, *, show_id: str, order_id: str) -> None:
        """The order's reserved seats and places go back on sale (expired or cancelled). Idempotent."""
        if await PgOrderInventory(uow.conn).release(show_id, order_id):
            await add_event(uow, InventoryChanged(show_id=show_id, order_id=order_id))

    async def return_to_sale(self, uow: UnitOfWork, *, show_id: str, order_id: str) -> None:
        """The order's sold seats and places go back on sale (refunded). Idempotent."""
        if await PgOrderInventory(uow.conn).return_to_sale(show_id, order_id):
            await add_event(uow, InventoryChanged(show_id=show_id, order_id=order_id))

    async def return_places_to_sale(
        self, uow: UnitOfWork, *, show_id: str, order_id: str, seat_ids: Sequence[str], zones: Mapping[str, int]
    ) -> None:
        """Some of the order's sold seats and GA places (`zones`: zone → places) go back on sale: some
        of its tickets were refunded. Call it once per such refund."""
        if await PgOrderInventory(uow.conn).return_places_to_sale(show_id, order_id, seat_ids, zones):
            await add_event(uow, InventoryChanged(show_id=show_id, order_id=order_id))

    async def sync_order(
        self, *, show_id: str, order_id: str, hold_id: str | None = None, recorded: InventoryChanged | None = None
    ) -> None:
        """After the caller's commit: Redis takes the order's seats and places as PostgreSQL now has
        them (as `recorded`, the change a call above returned, says: nothing to read back), and drops
        the hold the order came from (its places are the order's now)."""
        await follow_now(self._services.store, self._services.resources.db,
                         recorded or InventoryChanged(show_id=show_id, order_id=order_id, hold_id=hold_id))

    async def held_counts(self, show_id: str) -> dict[str, int]:
        """Places in live holds per price tier (for an operator's sales report)."""
        return await held_counts(self._services, show_id)

    async def places_left(self, show_id: str) -> int:
        """Seats and GA places that could be held right now (expired holds dropped first)."""
        availability = await read_availability(self._services.holding, show_id=show_id)
        return availability.seats.count(AVAILABLE) + sum(zone.remaining for zone in availability.zones)
