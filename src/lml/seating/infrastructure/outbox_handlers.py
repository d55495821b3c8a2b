"""Seating's handlers of outbox events (merged into the worker's relay by `lml.worker`)."""

from __future__ import annotations

import msgspec

from lml.platform.outbox import Handler, OutboxEvent, OutsideTransaction
from lml.seating.events import InventoryChanged, SaleClosed
from lml.seating.infrastructure.inventory_sync import follow_now
from lml.seating.infrastructure.services import SeatingServices


def outbox_handlers(services: SeatingServices) -> dict[str, list[Handler]]:
    """Both work in Redis only (a change that carries no rows reads them in a read-only transaction of
    its own), so their events are delivered in the relay's batches, without a transaction each."""

    async def follow_inventory(event: OutboxEvent) -> None:
        await follow_now(services.store, services.resources.db, msgspec.convert(event.payload, InventoryChanged))

    async def close_holds(event: OutboxEvent) -> None:
        # The terms refuse holds since the cancellation committed; the hold script knows too from now
        # on (before the terms' few seconds in process caches end), and the live holds are dropped.
        await services.store.close(msgspec.convert(event.payload, SaleClosed).show_id)

    return {"seating.InventoryChanged": [OutsideTransaction(follow_inventory)],
            "seating.SaleClosed": [OutsideTransaction(close_holds)]}
