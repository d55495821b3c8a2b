"""What ordering calls on seating (re-exported by `lml.seating.facade`): verify a hold, and move a
show's seats and GA places through an order's life in PostgreSQL, Redis following after commit.

    hold = await seating.verify_hold(resources, hold_id=..., hold_token=..., owner="guest:<id>")
    async with resources.db.unit_of_work() as uow:            # ordering's transaction
        await seating.reserve_for_order(uow, show_id=..., order_id=..., seat_ids=..., zones=...,
                                        hold_id=hold.hold_id, buyer_key=limit_key(...), max_per_buyer=4)
        ...                                                    # SeatsUnavailable, BuyerLimitExceeded
                                                               # → roll back, report
        await uow.commit()
    await seating.sync_order(resources, show_id=..., order_id=..., hold_id=hold.hold_id)   # after commit

`reserve_for_order`, `mark_sold`, `release_order` and `return_to_sale` run in the caller's unit of
work and record an `InventoryChanged` outbox event with it: the worker applies it to Redis at least
once. `sync_order` does the same at once, right after the caller's commit (call it; it is
idempotent, and the outbox covers a crash between the two)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lml.platform.db import UnitOfWork
from lml.platform.outbox import add_event
from lml.platform.resources import Resources
from lml.seating.application import verify_hold as verify_use_case
from lml.seating.domain.hold import VerifiedHold
from lml.seating.events import InventoryChanged
from lml.seating.infrastructure.held_counts import held_counts as held_counts_of
from lml.seating.infrastructure.inventory_sync import follow_now
from lml.seating.infrastructure.pg_order_inventory import PgOrderInventory
from lml.seating.infrastructure.services import services_for


async def verify_hold(resources: Resources, *, hold_id: str, hold_token: str, owner: str) -> VerifiedHold:
    """The live hold with its seats' tiers and labels and its zones. Raises HoldNotFound (unknown,
    expired, or another buyer's hold) or HoldTokenMismatch (the token is not the hold's)."""
    services = services_for(resources)
    return await verify_use_case.verify_hold(services.holding, services.places, hold_id=hold_id, token=hold_token,
                                             owner=owner)


async def reserve_for_order(
    uow: UnitOfWork, *, show_id: str, order_id: str, seat_ids: Sequence[str], zones: Mapping[str, int],
    hold_id: str, buyer_key: str, max_per_buyer: int | None,
) -> None:
    """`available → reserved` for exactly these seats and GA places, in the caller's transaction,
    counted for the buyer `buyer_key` (`lml.platform.domain.buyer_limit.limit_key`). Raises
    `BuyerLimitExceeded` when the places of the buyer's orders at this show, reserved or sold, would
    pass `max_per_buyer` (None: not checked, for a late payment taking back what its expired order
    had), or `SeatsUnavailable` (`seat_ids`, `zones`: what is taken or short); either changes nothing."""
    await PgOrderInventory(uow.conn).reserve(show_id, order_id, seat_ids, zones, buyer_key=buyer_key,
                                             hold_id=hold_id, max_per_buyer=max_per_buyer)
    await add_event(uow, InventoryChanged(show_id=show_id, order_id=order_id, hold_id=hold_id))


async def mark_sold(uow: UnitOfWork, *, show_id: str, order_id: str) -> None:
    """The order's reserved seats and places become sold. Idempotent."""
    if await PgOrderInventory(uow.conn).sell(show_id, order_id):
        await add_event(uow, InventoryChanged(show_id=show_id, order_id=order_id))


async def release_order(uow: UnitOfWork, *, show_id: str, order_id: str) -> None:
    """The order's reserved seats and places go back on sale (expired or cancelled). Idempotent."""
    if await PgOrderInventory(uow.conn).release(show_id, order_id):
        await add_event(uow, InventoryChanged(show_id=show_id, order_id=order_id))


async def return_to_sale(uow: UnitOfWork, *, show_id: str, order_id: str) -> None:
    """The order's sold seats and places go back on sale (refunded). Idempotent."""
    if await PgOrderInventory(uow.conn).return_to_sale(show_id, order_id):
        await add_event(uow, InventoryChanged(show_id=show_id, order_id=order_id))


async def return_places_to_sale(
    uow: UnitOfWork, *, show_id: str, order_id: str, seat_ids: Sequence[str], zones: Mapping[str, int]
) -> None:
    """Some of the order's sold seats and GA places (`zones`: zone → places) go back on sale: some of
    its tickets were refunded. Call it once per such refund."""
    if await PgOrderInventory(uow.conn).return_places_to_sale(show_id, order_id, seat_ids, zones):
        await add_event(uow, InventoryChanged(show_id=show_id, order_id=order_id))


async def sync_order(resources: Resources, *, show_id: str, order_id: str, hold_id: str | None = None) -> None:
    """After the caller's commit: Redis takes the order's seats and places as PostgreSQL now has them,
    and drops the hold the order came from (its places are the order's now)."""
    await follow_now(resources, InventoryChanged(show_id=show_id, order_id=order_id, hold_id=hold_id))


async def held_counts(resources: Resources, show_id: str) -> dict[str, int]:
    """Places in live holds per price tier (for an operator's sales report)."""
    return await held_counts_of(resources, show_id)
