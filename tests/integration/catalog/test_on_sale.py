"""Going on sale against the real stores: the inventory seating keeps is exactly the pinned layout's."""

import asyncio

import psycopg
import pytest

from lml.catalog.application import manage_shows
from lml.catalog.application.ports import CatalogPorts
from lml.catalog.application.put_on_sale import put_show_on_sale
from lml.catalog.domain.errors import UnpricedSeats
from lml.catalog.domain.pricing import PricingRule
from lml.catalog.domain.show import ShowChanges
from tests.fixtures.catalog import MakeShowOnSale


def owner_rows(dsn: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


async def test_the_inventory_has_one_row_per_layout_seat_and_zone_with_its_tier(
    make_show_on_sale: MakeShowOnSale, service_urls: dict[str, str]
) -> None:
    show = await make_show_on_sale(seats=95, sections=3, zones={"floor": 300, "pit": 40}, blocked=5)
    seats = owner_rows(service_urls["owner_dsn"],
                       "SELECT seat_id, tier_id, status FROM seating.show_seats WHERE show_id = %s", show.show_id)
    assert sorted(s[0] for s in seats) == sorted(show.seat_ids)
    assert {s[0]: s[1] for s in seats} == show.seat_tiers
    assert sorted(s[0] for s in seats if s[2] == "blocked") == sorted(show.blocked_seat_ids)
    zones = owner_rows(service_urls["owner_dsn"],
                       "SELECT zone_id, tier_id, capacity, sold, reserved FROM seating.show_zones WHERE show_id = %s"
                       " ORDER BY zone_id", show.show_id)
    assert zones == [("floor", "ga", 300, 0, 0), ("pit", "ga", 40, 0, 0)]


async def test_going_on_sale_again_changes_nothing(
    make_show_on_sale: MakeShowOnSale, catalog_ports_for_tests: CatalogPorts, service_urls: dict[str, str]
) -> None:
    show = await make_show_on_sale(seats=30, zones={"floor": 10})
    again = await put_show_on_sale(catalog_ports_for_tests, org_id=show.org_id, show_id=show.show_id)
    assert (again.inventory.created, again.inventory.seats, again.inventory.zones) == (False, 30, 1)
    (count,), = owner_rows(service_urls["owner_dsn"],
                           "SELECT count(*) FROM seating.show_seats WHERE show_id = %s", show.show_id)
    assert count == 30
    (events,), = owner_rows(service_urls["owner_dsn"],
                            "SELECT count(*) FROM platform.outbox WHERE event_type = 'catalog.ShowWentOnSale'")
    assert events == 1


async def test_concurrent_on_sale_calls_make_one_inventory(
    make_show_on_sale: MakeShowOnSale, catalog_ports_for_tests: CatalogPorts, service_urls: dict[str, str]
) -> None:
    show = await make_show_on_sale(seats=200, zones={"floor": 10}, on_sale=False)
    results = await asyncio.gather(*[
        put_show_on_sale(catalog_ports_for_tests, org_id=show.org_id, show_id=show.show_id) for _ in range(4)
    ])
    assert sorted(r.inventory.created for r in results) == [False, False, False, True]
    assert {r.inventory.seats for r in results} == {200}
    (count,), = owner_rows(service_urls["owner_dsn"],
                           "SELECT count(*) FROM seating.show_seats WHERE show_id = %s", show.show_id)
    assert count == 200


async def test_an_unpriced_show_stays_a_draft_without_inventory(
    make_show_on_sale: MakeShowOnSale, catalog_ports_for_tests: CatalogPorts, service_urls: dict[str, str]
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 10}, on_sale=False)
    ports = catalog_ports_for_tests
    await manage_shows.change_show(ports, org_id=show.org_id, show_id=show.show_id, changes=ShowChanges(
        pricing=(PricingRule(zone_id="floor", tier_id="ga"),)))
    with pytest.raises(UnpricedSeats) as exc:
        await put_show_on_sale(ports, org_id=show.org_id, show_id=show.show_id)
    assert sorted(exc.value.extensions["unpriced_seats"]) == sorted(show.seat_ids)
    assert owner_rows(service_urls["owner_dsn"], "SELECT status FROM catalog.shows WHERE id = %s",
                      show.show_id) == [("draft",)]
    assert owner_rows(service_urls["owner_dsn"], "SELECT 1 FROM seating.show_inventories WHERE show_id = %s",
                      show.show_id) == []
