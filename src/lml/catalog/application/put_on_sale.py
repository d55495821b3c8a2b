"""Put a show on sale: resolve every seat's tier and create the show's inventory, atomically."""

from __future__ import annotations

import msgspec

from lml.catalog.application.manage_events import load_event
from lml.catalog.application.manage_shows import load_show
from lml.catalog.application.ports import CatalogPorts, InventorySummary, LayoutUnavailable
from lml.catalog.domain.errors import LayoutChanged
from lml.catalog.domain.show import Show
from lml.catalog.events import ShowWentOnSale
from lml.platform.domain.errors import present


class OnSale(msgspec.Struct, frozen=True, kw_only=True):
    show: Show
    inventory: InventorySummary


async def put_show_on_sale(ports: CatalogPorts, *, org_id: str, show_id: str) -> OnSale:
    """The show's status and its inventory (seating's rows) change in one transaction: a show is
    never on sale without seats, nor seats without a show on sale. Going on sale again answers
    with what exists and changes nothing."""
    async with ports.uow(org_id) as uow:
        # Locked: a concurrent second call waits here, then finds the show on sale.
        show = await load_show(uow, show_id, for_update=True)
        if show.status == "on_sale":
            tally = present(await uow.inventory.tally(show_id),
                            "a show on sale has its inventory (made in the same transaction)")
            return OnSale(show=show, inventory=InventorySummary(created=False, seats=tally.seat_total,
                                                                zones=tally.zones))
        event = await load_event(uow, show.event_id)
        now = ports.clock.now()
        show.put_on_sale(event, now)
        try:
            layout = await ports.venues.pinned_layout(org_id, show.layout)
        except LayoutUnavailable:
            raise LayoutChanged("The show's pinned layout version can no longer be read") from None
        plan = show.plan_inventory(layout)
        summary = await uow.inventory.materialize(show, plan)
        await uow.shows.save(show)
        await uow.publish(ShowWentOnSale(show_id=show_id, event_id=show.event_id, org_id=org_id,
                                         seats=summary.seats, zones=summary.zones, at=now))
        uow.touched(show.event_id, [show_id])
        await uow.commit()
    return OnSale(show=show, inventory=summary)
