"""Seating's handlers of outbox events (merged into the worker's relay by `lml.worker`)."""

from __future__ import annotations

import msgspec

from lml.catalog.events import ShowCancelled
from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent
from lml.platform.resources import Resources
from lml.seating.events import InventoryChanged
from lml.seating.infrastructure.inventory_sync import follow
from lml.seating.infrastructure.services import services_for


def outbox_handlers(resources: Resources) -> dict[str, list[Handler]]:
    async def follow_inventory(event: OutboxEvent, uow: UnitOfWork) -> None:
        await follow(resources, uow, msgspec.convert(event.payload, InventoryChanged))

    async def close_sale(event: OutboxEvent, _: UnitOfWork) -> None:
        # Live holds dropped at once, and no hold taken again (the hold script checks before the
        # catalog's answer, which seating keeps for a few seconds, says "cancelled").
        await services_for(resources).store.close(msgspec.convert(event.payload, ShowCancelled).show_id)

    return {"seating.InventoryChanged": [follow_inventory], "catalog.ShowCancelled": [close_sale]}
