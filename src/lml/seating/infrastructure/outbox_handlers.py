"""Seating's handlers of outbox events (merged into the worker's relay by `lml.worker`)."""

from __future__ import annotations

import msgspec

from lml.catalog.events import ShowCancelled
from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent
from lml.seating.events import InventoryChanged
from lml.seating.infrastructure.inventory_sync import follow
from lml.seating.infrastructure.pg_inventory import PgInventory
from lml.seating.infrastructure.services import SeatingServices


def outbox_handlers(services: SeatingServices) -> dict[str, list[Handler]]:
    async def follow_inventory(event: OutboxEvent, uow: UnitOfWork) -> None:
        await follow(services.store, uow, msgspec.convert(event.payload, InventoryChanged))

    async def close_sale(event: OutboxEvent, uow: UnitOfWork) -> None:
        # The show's terms say so from this transaction on; its live holds are dropped at once, and
        # no hold is taken again (the hold script knows before the terms' few seconds in process end).
        show_id = msgspec.convert(event.payload, ShowCancelled).show_id
        await PgInventory(uow.conn).cancel(show_id)
        await services.store.close(show_id)

    return {"seating.InventoryChanged": [follow_inventory], "catalog.ShowCancelled": [close_sale]}
