"""Seating's handlers of outbox events (merged into the worker's relay by `lml.worker`)."""

from __future__ import annotations

import msgspec

from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent
from lml.platform.resources import Resources
from lml.seating.events import InventoryChanged
from lml.seating.infrastructure.inventory_sync import follow


def outbox_handlers(resources: Resources) -> dict[str, list[Handler]]:
    async def follow_inventory(event: OutboxEvent, uow: UnitOfWork) -> None:
        await follow(resources, uow, msgspec.convert(event.payload, InventoryChanged))

    return {"seating.InventoryChanged": [follow_inventory]}
