"""Block seats (house seats, broken seats) or release them back to sale."""

from __future__ import annotations

from collections.abc import Sequence

from lml.seating.application.inventory_ports import InventoryRepository
from lml.seating.domain.inventory import InventoryNotFound, plan_block_change


async def set_seats_blocked(
    inventory: InventoryRepository, *, show_id: str, seat_ids: Sequence[str], blocked: bool
) -> list[str]:
    """All or nothing: returns the seats that changed (those already as asked are left alone);
    any seat that cannot move fails the whole request. Runs in the caller's transaction."""
    if not await inventory.exists(show_id):
        raise InventoryNotFound()
    current = await inventory.seat_states(show_id, seat_ids)
    changed = plan_block_change(seat_ids, current, blocked=blocked)
    if changed:
        await inventory.set_seat_status(show_id, changed, "blocked" if blocked else "available")
    return changed
