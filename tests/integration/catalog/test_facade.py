"""What seating, ordering and the demo seeder get from the catalog's facade."""

from datetime import timedelta

import pytest

from lml.catalog.facade import ShowNotFound
from lml.container import Container
from tests.fixtures.catalog import MakeEvent, MakeShowOnSale
from tests.fixtures.identity import MakeOrganization
from tests.timing import TestClock


async def test_a_show_for_sale_carries_its_window_limits_layout_and_tiers(
    container: Container, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=10, max_seats_per_buyer=4, hold_seconds=300, tier_prices={"standard": 7500})
    async with container.resources.db.unit_of_work() as uow:
        sale = await container.catalog_facade.show_for_sale(show.show_id, uow=uow)
    assert (sale.show_id, sale.org_id, sale.event_id) == (show.show_id, show.org_id, show.event_id)
    assert (sale.status, sale.sale_status, sale.event_status) == ("on_sale", "on_sale", "published")
    assert (sale.max_seats_per_buyer, sale.hold_seconds, sale.currency) == (4, 300, "USD")
    assert (sale.layout.layout_id, sale.layout.version, sale.layout.hash) == (
        show.layout.layout_id, show.layout.version, show.layout.hash)
    assert {t.tier_id: t.price for t in sale.price_tiers} == show.tier_prices
    assert sale.tier("standard") is not None and sale.tier("standard").unit_total == 7500  # type: ignore[union-attr]
    assert sale.on_sale_at is not None and sale.on_sale_at <= container.clock.now() < sale.off_sale_at


async def test_a_show_for_sale_is_read_in_a_unit_of_work_of_its_own_and_follows_the_clock(
    container: Container, clock: TestClock, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=2, starts_in=timedelta(days=2))
    clock.advance(days=3)
    later = await container.catalog_facade.show_for_sale(show.show_id)
    assert later.sale_status == "off_sale"


async def test_a_draft_events_show_is_not_for_sale(
    container: Container, make_show_on_sale: MakeShowOnSale, make_event: MakeEvent
) -> None:
    show = await make_show_on_sale(seats=2, event=await make_event(publish=False), on_sale=False)
    with pytest.raises(ShowNotFound):
        await container.catalog_facade.show_for_sale(show.show_id)
    with pytest.raises(ShowNotFound):
        await container.catalog_facade.show_for_sale("not-a-show")


async def test_the_demo_catalog_is_priced_on_sale_and_seeded_once(
    container: Container, make_organization: MakeOrganization
) -> None:
    org_id = await make_organization()
    catalog = container.catalog_facade
    demo_venues = await container.venues_facade.seed_demo_venues(org_id=org_id)
    first = await catalog.seed_demo_catalog(org_id=org_id, user_id=None, venues=demo_venues)
    again = await catalog.seed_demo_catalog(org_id=org_id, user_id=None, venues=demo_venues)
    assert [(e.title, len(e.show_ids), e.created) for e in first] == [("Spring Gala", 2, True),
                                                                      ("Late Night Sessions", 1, True)]
    assert [(e.event_id, e.show_ids, e.created) for e in again] == [(e.event_id, e.show_ids, False) for e in first]
    gala = [await catalog.show_for_sale(show_id) for show_id in first[0].show_ids]
    assert [s.sale_status for s in gala] == ["on_sale", "scheduled"]
    assert len(gala[0].price_tiers) == 4
    async with container.resources.db.unit_of_work() as uow:
        counts = await container.seating_facade.inventory_counts(uow, gala[0].show_id)
        club = await container.seating_facade.inventory_counts(uow, first[1].show_ids[0])
    assert counts.seat_total == demo_venues[0].seat_count
    assert sum(z.capacity for z in club.zones) == demo_venues[1].zone_capacity
