"""A show on sale for the benchmarks: a published venue layout of `seats` seats in `sections` sections,
an event, a show priced in two tiers (the first `front_sections` sections dearer), put on sale."""

from __future__ import annotations

import uuid
from datetime import timedelta

import msgspec
from tests.fixtures.venues import layout_json

from lml.catalog.application import manage_events, manage_shows
from lml.catalog.application.put_on_sale import put_show_on_sale
from lml.catalog.domain.event import EventDraft
from lml.catalog.domain.show import ShowDraft
from lml.container import Container
from lml.venues.application.edit_layouts import create_layout
from lml.venues.application.manage_venues import create_venue
from lml.venues.application.publish_layout import publish_layout
from lml.venues.domain.layout import LayoutDraft
from lml.venues.domain.venue import VenueDraft


async def show_on_sale(
    container: Container, *, seats: int, sections: int, front_sections: int, max_seats_per_buyer: int, title: str
) -> str:
    """The new show's id."""
    org_id = str(uuid.uuid4())
    stores = container.venues.stores
    venue = await create_venue(stores, org_id=org_id, draft=VenueDraft(name=f"{title} hall", city="Benchville",
                                                                        timezone="UTC"))
    draft = msgspec.convert(layout_json(seats, sections=sections, name=title), LayoutDraft)
    created = await create_layout(stores, org_id=org_id, venue_id=venue.venue_id, draft=draft)
    layout = await publish_layout(stores, org_id=org_id, venue_id=venue.venue_id,
                                  layout_id=created.record.layout_id)
    ports = container.catalog.ports
    event = await manage_events.create_event(ports, org_id=org_id, draft=EventDraft(
        venue_id=venue.venue_id, title=title, category="benchmark"))
    await manage_events.publish_event(ports, org_id=org_id, user_id=None, event_id=event.event_id)
    labels = [chr(ord("A") + i) for i in range(sections)]
    show = await manage_shows.create_show(ports, org_id=org_id, event_id=event.event_id, draft=msgspec.convert({
        "starts_at": container.clock.now() + timedelta(days=30), "layout_id": layout.layout_id,
        "price_tiers": [{"tier_id": "front", "name": "Front", "price": 9900},
                        {"tier_id": "rest", "name": "Rest", "price": 4900}],
        "pricing": [{"section": s, "tier_id": "front" if i < front_sections else "rest"} for i, s in enumerate(labels)],
        "max_seats_per_buyer": max_seats_per_buyer, "hold_seconds": 600,
    }, ShowDraft))
    await put_show_on_sale(ports, org_id=org_id, show_id=show.show_id)
    return show.show_id
