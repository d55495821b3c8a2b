"""Operators' commands and reads on shows: create, change (drafts), cancel."""

from __future__ import annotations

import msgspec

from lml.catalog.application.manage_events import load_event
from lml.catalog.application.ports import (
    CatalogPorts,
    CatalogUnitOfWork,
    InventoryTally,
    LayoutUnavailable,
    VenueDirectory,
)
from lml.catalog.domain.errors import ShowNotFound
from lml.catalog.domain.show import Show, ShowChanges, ShowDraft
from lml.catalog.domain.venue import LayoutSnapshot
from lml.catalog.events import ShowCancelled
from lml.platform.domain.errors import FieldError
from lml.platform.ids import new_id


async def _pin(venues: VenueDirectory, org_id: str, draft: ShowDraft) -> tuple[LayoutSnapshot | None, list[FieldError]]:
    """The layout the draft names, or why it cannot be pinned (reported with the draft's other problems)."""
    try:
        return await venues.published_layout(org_id, draft.layout_id, draft.layout_version), []
    except LayoutUnavailable as exc:
        return None, exc.errors


async def load_show(uow: CatalogUnitOfWork, show_id: str, *, for_update: bool = False) -> Show:
    show = await uow.shows.get(show_id, for_update=for_update)
    if show is None:
        raise ShowNotFound()
    return show


async def create_show(ports: CatalogPorts, *, org_id: str, event_id: str, draft: ShowDraft) -> Show:
    layout, layout_errors = await _pin(ports.venues, org_id, draft)
    async with ports.uow(org_id) as uow:
        event = await load_event(uow, event_id, for_update=True)
        show = Show.create(show_id=new_id(), event=event, draft=draft, layout=layout, layout_errors=layout_errors,
                           now=ports.clock.now())
        await uow.shows.add(show)
        uow.touched(event_id, [show.show_id])
        await uow.commit()
    return show


async def change_show(ports: CatalogPorts, *, org_id: str, show_id: str, changes: ShowChanges) -> Show:
    """Only a draft changes; the whole show is checked again as it would become."""
    async with ports.uow(org_id) as uow:
        show = await load_show(uow, show_id, for_update=True)
        event = await load_event(uow, show.event_id)
        draft = changes.applied_to(show.to_draft())
        layout, layout_errors = await _pin(ports.venues, org_id, draft)
        show.revise(event=event, draft=draft, layout=layout, layout_errors=layout_errors, now=ports.clock.now())
        await uow.shows.save(show)
        uow.touched(show.event_id, [show_id])
        await uow.commit()
    return show


async def cancel_show(ports: CatalogPorts, *, org_id: str, show_id: str) -> Show:
    async with ports.uow(org_id) as uow:
        show = await load_show(uow, show_id, for_update=True)
        now = ports.clock.now()
        if show.cancel(now):
            await uow.shows.save(show)
            await uow.inventory.close_sale(show_id)
            await uow.publish(ShowCancelled(show_id=show_id, event_id=show.event_id, org_id=org_id, at=now))
            uow.touched(show.event_id, [show_id])
            await uow.commit()
    return show


async def get_show(ports: CatalogPorts, *, org_id: str, show_id: str) -> Show:
    async with ports.uow(org_id) as uow:
        return await load_show(uow, show_id)


async def shows_of_event(ports: CatalogPorts, *, org_id: str, event_id: str) -> list[Show]:
    async with ports.uow(org_id) as uow:
        await load_event(uow, event_id)
        return await uow.shows.of_event(event_id)


class ShowOverview(msgspec.Struct, frozen=True, kw_only=True):
    show: Show
    event_status: str
    inventory: InventoryTally | None  # None until the show goes on sale


async def show_overview(ports: CatalogPorts, *, org_id: str, show_id: str) -> ShowOverview:
    async with ports.uow(org_id) as uow:
        show = await load_show(uow, show_id)
        event = await load_event(uow, show.event_id)
        tally = await uow.inventory.tally(show_id) if show.status != "draft" else None
        return ShowOverview(show=show, event_status=event.status, inventory=tally)
