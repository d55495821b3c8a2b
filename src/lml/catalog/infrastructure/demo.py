"""Demo catalog for `lml seed-demo`: priced events on the demo venues, one show on sale, one to come.
Idempotent: an event is found by its title in the organization and left as it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

from lml.catalog.application import manage_events, manage_shows
from lml.catalog.application.ports import CatalogPorts
from lml.catalog.application.put_on_sale import put_show_on_sale
from lml.catalog.domain.event import EventDraft
from lml.catalog.domain.pricing import PricingRule, TierDraft
from lml.catalog.domain.show import ShowDraft
from lml.catalog.domain.venue import LayoutSnapshot
from lml.venues.facade import DemoVenue


class DemoEvent(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    title: str
    venue_name: str
    show_ids: list[str]
    created: bool  # False: it existed already, nothing changed


class _Plan(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    category: str
    description: str
    tiers: tuple[TierDraft, ...]
    shows_in_days: tuple[int, ...]  # the first goes on sale, the others are announced


Pricing = Callable[[LayoutSnapshot], tuple[PricingRule, ...]]


def _theatre(layout: LayoutSnapshot) -> tuple[PricingRule, ...]:
    """The first section's first three rows are premium; every other section its own tier."""
    sections = list(dict.fromkeys(seat.section for seat in layout.seats))
    first_rows = list(dict.fromkeys(seat.row for seat in layout.seats if seat.section == sections[0]))[:3]
    tier_of = {sections[0]: "stalls", **{s: ("circle" if i == 1 else "box") for i, s in enumerate(sections) if i}}
    return (
        *(PricingRule(section=s, tier_id=tier_of[s]) for s in sections),
        *(PricingRule(section=sections[0], row=row, tier_id="premium") for row in first_rows),
        *(PricingRule(zone_id=zone.zone_id, tier_id="stalls") for zone in layout.zones),
    )


def _club(layout: LayoutSnapshot) -> tuple[PricingRule, ...]:
    sections = dict.fromkeys(seat.section for seat in layout.seats)
    return (*(PricingRule(section=s, tier_id="balcony") for s in sections),
            *(PricingRule(zone_id=zone.zone_id, tier_id="floor") for zone in layout.zones))


_PLANS: list[tuple[_Plan, Pricing]] = [
    (_Plan(title="Spring Gala", category="concert",
           description="An evening of overtures and arias with the City Symphony.",
           tiers=(TierDraft(tier_id="premium", name="Premium stalls", price=12_500),
                  TierDraft(tier_id="stalls", name="Stalls", price=8_900),
                  TierDraft(tier_id="circle", name="Dress circle", price=6_500),
                  TierDraft(tier_id="box", name="Box", price=15_000)),
           shows_in_days=(21, 22)), _theatre),
    (_Plan(title="Late Night Sessions", category="jazz",
           description="A jazz trio on the floor, the balcony seated.",
           tiers=(TierDraft(tier_id="floor", name="Standing floor", price=2_500),
                  TierDraft(tier_id="balcony", name="Balcony seat", price=4_000)),
           shows_in_days=(14,)), _club),
]


async def seed_demo_catalog(ports: CatalogPorts, *, org_id: str, user_id: str | None,
                            venues: Sequence[DemoVenue]) -> list[DemoEvent]:
    existing = {e.title: e for e in await manage_events.list_events(ports, org_id=org_id, status=None, after=None,
                                                                    limit=500)}
    seeded = []
    for venue, (plan, pricing) in zip(venues, _PLANS, strict=False):
        if plan.title in existing:
            event = existing[plan.title]
            shows = await manage_shows.shows_of_event(ports, org_id=org_id, event_id=event.event_id)
            seeded.append(DemoEvent(event_id=event.event_id, title=plan.title, venue_name=venue.name,
                                    show_ids=[s.show_id for s in shows], created=False))
            continue
        seeded.append(await _seed(ports, org_id, user_id, venue, plan, pricing))
    return seeded


async def _seed(ports: CatalogPorts, org_id: str, user_id: str | None, venue: DemoVenue, plan: _Plan,
                pricing: Pricing) -> DemoEvent:
    event = await manage_events.create_event(ports, org_id=org_id, draft=EventDraft(
        venue_id=venue.venue_id, title=plan.title, category=plan.category, description=plan.description))
    layout = await ports.venues.published_layout(org_id, venue.layout_id, venue.layout_version)
    today = ports.clock.now().astimezone(ZoneInfo(event.venue.timezone)).date()
    show_ids = []
    for days in plan.shows_in_days:
        local_start = datetime.combine(today + timedelta(days=days), time(19, 30))  # the venue's wall clock
        draft = ShowDraft(starts_at=local_start, doors_at=local_start - timedelta(minutes=45),
                          layout_id=venue.layout_id, layout_version=venue.layout_version, price_tiers=plan.tiers,
                          pricing=pricing(layout), max_seats_per_buyer=8, hold_seconds=600)
        show = await manage_shows.create_show(ports, org_id=org_id, event_id=event.event_id, draft=draft)
        show_ids.append(show.show_id)
    await manage_events.publish_event(ports, org_id=org_id, user_id=user_id, event_id=event.event_id)
    await put_show_on_sale(ports, org_id=org_id, show_id=show_ids[0])
    return DemoEvent(event_id=event.event_id, title=plan.title, venue_name=venue.name, show_ids=show_ids,
                     created=True)
