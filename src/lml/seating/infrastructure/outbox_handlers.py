"""Seating's handlers of outbox events (merged into the worker's relay by `lml.worker`)."""

from __future__ import annotations

import msgspec

from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent
from lml.seating.events import InventoryChanged, SaleClosed
from lml.seating.infrastructure.inventory_sync import follow
from lml.seating.infrastructure.services import SeatingServices


def outbox_handlers(services: SeatingServices) -> dict[str, list[Handler]]:
    async def follow_inventory(event: OutboxEvent, uow: UnitOfWork) -> None:
        await follow(services.store, uow, msgspec.convert(event.payload, InventoryChanged))

    async def close_holds(event: OutboxEvent, uow: UnitOfWork) -> None:
        # The terms refuse holds since the cancellation committed; the hold script knows too from now
        # on (before the terms' few seconds in process caches end), and the live holds are dropped.
        await services.store.close(msgspec.convert(event.payload, SaleClosed).show_id)

    return {"seating.InventoryChanged": [follow_inventory], "seating.SaleClosed": [close_holds]}
