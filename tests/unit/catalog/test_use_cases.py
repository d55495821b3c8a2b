from datetime import UTC, datetime

import pytest

from lml.catalog.application import manage_events, manage_shows
from lml.catalog.application.block_seats import set_seats_blocked
from lml.catalog.application.ports import CatalogPorts
from lml.catalog.application.put_on_sale import put_show_on_sale
from lml.catalog.application.testing import FakeVenues, InMemoryCatalog
from lml.catalog.domain.errors import EventNotFound, ShowNotFound, UnpricedSeats
from lml.catalog.domain.event import EventChanges, EventDraft
from lml.catalog.domain.pricing import PricingRule, TierDraft
from lml.catalog.domain.show import ShowChanges, ShowDraft
from lml.catalog.events import EventCancelled, ShowCancelled, ShowWentOnSale
from lml.platform.domain.errors import InvalidInput
from tests.unit.catalog.builders import ORG, OTHER_ORG, VENUE, make_layout

DRAFT = ShowDraft(
    starts_at=datetime(2027, 3, 1, 19, 30),
    layout_id="lay-1",
    price_tiers=(TierDraft(tier_id="std", name="Standard", price=5000), TierDraft(tier_id="ga", name="GA", price=2500)),
    pricing=(PricingRule(section="A", tier_id="std"), PricingRule(section="B", tier_id="std"),
             PricingRule(zone_id="floor", tier_id="ga")),
)


async def published_event(ports: CatalogPorts) -> str:
    event = await manage_events.create_event(
        ports, org_id=ORG, draft=EventDraft(venue_id=VENUE.venue_id, title="Gala", category="concert"))
    await manage_events.publish_event(ports, org_id=ORG, user_id="u-1", event_id=event.event_id)
    return event.event_id


async def test_a_show_goes_on_sale_with_one_inventory_row_per_seat_and_zone(
    ports: CatalogPorts, catalog: InMemoryCatalog
) -> None:
    event_id = await published_event(ports)
    show = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id, draft=DRAFT)
    result = await put_show_on_sale(ports, org_id=ORG, show_id=show.show_id)
    assert (result.inventory.created, result.inventory.seats, result.inventory.zones) == (True, 11, 1)
    assert result.show.status == "on_sale"
    assert len(catalog.state.inventories[show.show_id].seats) == 11
    assert [type(e) for e in catalog.state.outbox] == [ShowWentOnSale]


async def test_going_on_sale_twice_changes_nothing(ports: CatalogPorts, catalog: InMemoryCatalog) -> None:
    event_id = await published_event(ports)
    show = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id, draft=DRAFT)
    first = await put_show_on_sale(ports, org_id=ORG, show_id=show.show_id)
    again = await put_show_on_sale(ports, org_id=ORG, show_id=show.show_id)
    assert (again.inventory.created, again.inventory.seats, again.inventory.zones) == (False, 11, 1)
    assert again.show.went_on_sale_at == first.show.went_on_sale_at
    assert len(catalog.state.outbox) == 1


async def test_an_unpriced_show_does_not_go_on_sale_and_nothing_is_half_made(
    ports: CatalogPorts, catalog: InMemoryCatalog
) -> None:
    event_id = await published_event(ports)
    show = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id,
                                          draft=ShowChanges(pricing=DRAFT.pricing[:1]).applied_to(DRAFT))
    with pytest.raises(UnpricedSeats):
        await put_show_on_sale(ports, org_id=ORG, show_id=show.show_id)
    assert catalog.state.shows[show.show_id].status == "draft"
    assert show.show_id not in catalog.state.inventories


async def test_an_unknown_or_unpublished_layout_is_named_with_the_other_problems(
    ports: CatalogPorts, venues: FakeVenues, catalog: InMemoryCatalog
) -> None:
    venues.drafts.add((ORG, "lay-draft"))
    event_id = await published_event(ports)
    for layout_id, version in (("nope", None), ("lay-draft", None), ("lay-1", 7)):
        with pytest.raises(InvalidInput) as exc:
            await manage_shows.create_show(ports, org_id=ORG, event_id=event_id, draft=ShowChanges(
                layout_id=layout_id, layout_version=version, currency="XYZ").applied_to(DRAFT))
        assert [e.path for e in exc.value.errors][:1] == ["/layout_version" if version else "/layout_id"]
        assert "/currency" in [e.path for e in exc.value.errors]
    assert catalog.state.shows == {}


async def test_a_draft_show_without_a_version_pins_the_latest_published_one(
    ports: CatalogPorts, venues: FakeVenues
) -> None:
    venues.add_layout(ORG, make_layout(version=2, zones={"floor": 50}))
    event_id = await published_event(ports)
    show = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id, draft=DRAFT)
    assert (show.layout.version, show.layout.hash) == (2, "h-lay-1-2")


async def test_a_draft_show_can_be_repriced_then_put_on_sale(ports: CatalogPorts) -> None:
    event_id = await published_event(ports)
    show = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id,
                                          draft=ShowChanges(pricing=DRAFT.pricing[:1]).applied_to(DRAFT))
    await manage_shows.change_show(ports, org_id=ORG, show_id=show.show_id, changes=ShowChanges(pricing=DRAFT.pricing))
    assert (await put_show_on_sale(ports, org_id=ORG, show_id=show.show_id)).inventory.seats == 11


async def test_seats_blocked_before_the_sale_are_materialized_blocked_and_released_after(
    ports: CatalogPorts, catalog: InMemoryCatalog
) -> None:
    event_id = await published_event(ports)
    show = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id, draft=DRAFT)
    seat = make_layout().seats[0].seat_id
    before = await set_seats_blocked(ports, org_id=ORG, show_id=show.show_id, seat_ids=[seat], blocked=True)
    assert (before.changed, before.blocked_seat_ids) == ([seat], [seat])
    await put_show_on_sale(ports, org_id=ORG, show_id=show.show_id)
    assert catalog.state.inventories[show.show_id].seats[seat] == "blocked"
    after = await set_seats_blocked(ports, org_id=ORG, show_id=show.show_id, seat_ids=[seat], blocked=False)
    assert (after.changed, after.blocked_seat_ids) == ([seat], None)
    assert catalog.state.inventories[show.show_id].seats[seat] == "available"


async def test_blocking_a_seat_the_layout_lacks_is_refused(ports: CatalogPorts) -> None:
    event_id = await published_event(ports)
    show = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id, draft=DRAFT)
    with pytest.raises(InvalidInput) as exc:
        await set_seats_blocked(ports, org_id=ORG, show_id=show.show_id, seat_ids=["ffffffffffffffff"], blocked=True)
    assert [e.path for e in exc.value.errors] == ["/seat_ids/0"]


async def test_another_organization_sees_neither_the_event_nor_its_shows(ports: CatalogPorts) -> None:
    event_id = await published_event(ports)
    show = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id, draft=DRAFT)
    with pytest.raises(EventNotFound):
        await manage_events.change_event(ports, org_id=OTHER_ORG, user_id=None, event_id=event_id,
                                         changes=EventChanges(title="Mine now"))
    with pytest.raises(ShowNotFound):
        await put_show_on_sale(ports, org_id=OTHER_ORG, show_id=show.show_id)


async def test_cancelling_an_event_cancels_its_shows(ports: CatalogPorts, catalog: InMemoryCatalog) -> None:
    event_id = await published_event(ports)
    first = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id, draft=DRAFT)
    second = await manage_shows.create_show(ports, org_id=ORG, event_id=event_id,
                                            draft=ShowChanges(starts_at=datetime(2027, 3, 2, 19, 30)).applied_to(DRAFT))
    await put_show_on_sale(ports, org_id=ORG, show_id=first.show_id)
    await manage_events.cancel_event(ports, org_id=ORG, event_id=event_id)
    assert {catalog.state.shows[s.show_id].status for s in (first, second)} == {"cancelled"}
    assert [type(e) for e in catalog.state.outbox] == [ShowWentOnSale, ShowCancelled, ShowCancelled, EventCancelled]
    # seating closes the sale of what it sells
    assert [s for s, inventory in catalog.state.inventories.items() if inventory.closed] == [first.show_id]


async def test_each_change_of_a_published_event_is_kept_as_a_revision(ports: CatalogPorts, clock: object) -> None:
    event_id = await published_event(ports)
    await manage_events.change_event(ports, org_id=ORG, user_id="u-2", event_id=event_id,
                                     changes=EventChanges(title="Gala (extra date)"))
    revisions = await manage_events.event_revisions(ports, org_id=ORG, event_id=event_id)
    assert [(r.revision, r.title, r.recorded_by) for r in revisions] == [(1, "Gala", "u-1"),
                                                                         (2, "Gala (extra date)", "u-2")]


async def test_publishing_touches_the_public_caches_only_when_it_changes_something(
    ports: CatalogPorts, catalog: InMemoryCatalog
) -> None:
    event_id = await published_event(ports)
    await manage_events.publish_event(ports, org_id=ORG, user_id=None, event_id=event_id)
    assert catalog.state.touched == [(event_id, ())]


async def test_the_in_memory_catalog_undoes_what_was_not_committed(
    ports: CatalogPorts, catalog: InMemoryCatalog
) -> None:
    event_id = await published_event(ports)
    async with catalog(ORG) as uow:
        event = await uow.events.get(event_id)
        assert event is not None
        event.title = "Never saved"
        await uow.events.save(event)
        await uow.publish(EventCancelled(event_id=event_id, org_id=ORG, at=datetime.now(UTC)))
    assert catalog.state.events[event_id].title == "Gala"
    assert catalog.state.outbox == []
