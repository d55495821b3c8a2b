"""Operators block seats (house seats, broken seats) or release them, before and during the sale."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from lml.catalog.application.manage_shows import load_show
from lml.catalog.application.ports import CatalogPorts, LayoutUnavailable
from lml.catalog.domain.errors import LayoutChanged, ShowNotEditable
from lml.catalog.domain.show import validate_seat_ids


class BlockChange(msgspec.Struct, frozen=True, kw_only=True):
    changed: list[str]  # the seats whose status changed (the others were as asked already)
    blocked_seat_ids: list[str] | None  # a draft's whole block list; None once the inventory holds them


async def set_seats_blocked(
    ports: CatalogPorts, *, org_id: str, show_id: str, seat_ids: Sequence[str], blocked: bool
) -> BlockChange:
    """Before going on sale the show keeps the list (materialized as blocked seats); once on sale
    the seating inventory changes, seat by seat, refusing seats that are reserved or sold."""
    async with ports.uow(org_id) as uow:
        show = await load_show(uow, show_id, for_update=True)
        if show.status == "cancelled":
            raise ShowNotEditable("A cancelled show's seats cannot be blocked or released")
        if show.status == "on_sale":
            changed = await uow.inventory.set_blocked(show_id, seat_ids, blocked)
            await uow.commit()
            return BlockChange(changed=changed, blocked_seat_ids=None)
        try:
            layout = await ports.venues.pinned_layout(org_id, show.layout)
        except LayoutUnavailable:
            raise LayoutChanged("The show's pinned layout version can no longer be read") from None
        validate_seat_ids(seat_ids, layout)
        before = set(show.blocked_seat_ids)
        show.set_blocked_before_sale(seat_ids, blocked, ports.clock.now())
        await uow.shows.save(show)
        await uow.commit()
        after = list(show.blocked_seat_ids)
        return BlockChange(changed=sorted(before ^ set(after)), blocked_seat_ids=after)
