"""Operators' commands and reads on events: create, change, publish, cancel, revisions."""

from __future__ import annotations

from msgspec import UnsetType

from lml.catalog.application.ports import CatalogPorts, CatalogUnitOfWork, VenueUnavailable
from lml.catalog.domain.errors import EventNotFound
from lml.catalog.domain.event import Event, EventChanges, EventDraft, EventRevision
from lml.catalog.events import EventCancelled, ShowCancelled
from lml.platform.ids import new_id


async def create_event(ports: CatalogPorts, *, org_id: str, draft: EventDraft) -> Event:
    try:
        venue, venue_errors = await ports.venues.venue(org_id, draft.venue_id), []
    except VenueUnavailable as exc:
        venue, venue_errors = None, exc.errors
    event = Event.create(event_id=new_id(), org_id=org_id, draft=draft, venue=venue, venue_errors=venue_errors,
                         now=ports.clock.now())
    async with ports.uow(org_id) as uow:
        await uow.events.add(event)
        await uow.commit()
    return event


async def load_event(uow: CatalogUnitOfWork, event_id: str, *, for_update: bool = False) -> Event:
    event = await uow.events.get(event_id, for_update=for_update)
    if event is None:
        raise EventNotFound()
    return event


async def change_event(
    ports: CatalogPorts, *, org_id: str, user_id: str | None, event_id: str, changes: EventChanges
) -> Event:
    """A published event's buyer-facing change is recorded as a new revision."""
    async with ports.uow(org_id) as uow:
        event = await load_event(uow, event_id, for_update=True)
        shows = await uow.shows.of_event(event_id)
        venue = None
        if not isinstance(changes.venue_id, UnsetType) and changes.venue_id != event.venue.venue_id:
            event.ensure_venue_movable(has_shows=bool(shows))
            venue = await ports.venues.venue(org_id, changes.venue_id)
        now = ports.clock.now()
        if event.change(changes, venue=venue, has_shows=bool(shows), now=now):
            await uow.events.add_revision(event.revision_record(now, user_id))
        await uow.events.save(event)
        uow.touched(event_id, [show.show_id for show in shows])
        await uow.commit()
    return event


async def publish_event(ports: CatalogPorts, *, org_id: str, user_id: str | None, event_id: str) -> Event:
    async with ports.uow(org_id) as uow:
        event = await load_event(uow, event_id, for_update=True)
        now = ports.clock.now()
        if event.publish(now):
            await uow.events.add_revision(event.revision_record(now, user_id))
            await uow.events.save(event)
            uow.touched(event_id)
            await uow.commit()
    return event


async def cancel_event(ports: CatalogPorts, *, org_id: str, event_id: str) -> Event:
    """Every show of the event is cancelled with it, in the same transaction: a cancelled event
    has no performance left to sell, and buyers' refunds follow each ShowCancelled."""
    async with ports.uow(org_id) as uow:
        event = await load_event(uow, event_id, for_update=True)
        now = ports.clock.now()
        if event.cancel(now):
            shows = await uow.shows.of_event(event_id)
            for show in shows:
                if show.cancel(now):
                    await uow.shows.save(show)
                    await uow.inventory.close_sale(show.show_id)
                    await uow.publish(ShowCancelled(show_id=show.show_id, event_id=event_id, org_id=org_id, at=now))
            await uow.events.save(event)
            await uow.publish(EventCancelled(event_id=event_id, org_id=org_id, at=now))
            uow.touched(event_id, [show.show_id for show in shows])
            await uow.commit()
    return event


async def get_event(ports: CatalogPorts, *, org_id: str, event_id: str) -> Event:
    async with ports.uow(org_id) as uow:
        return await load_event(uow, event_id)


async def list_events(
    ports: CatalogPorts, *, org_id: str, status: str | None, after: str | None, limit: int
) -> list[Event]:
    async with ports.uow(org_id) as uow:
        return await uow.events.of_organization(status=status, after=after, limit=limit)


async def event_revisions(ports: CatalogPorts, *, org_id: str, event_id: str) -> list[EventRevision]:
    async with ports.uow(org_id) as uow:
        await load_event(uow, event_id)
        return await uow.events.revisions(event_id)
