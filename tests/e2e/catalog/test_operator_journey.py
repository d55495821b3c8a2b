"""An operator builds a catalog over HTTP and buyers read it: lifecycle, pricing, on-sale, access."""

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg

from lml.platform.ids import new_id
from tests.fixtures.catalog import MakeEvent, MakeShowOnSale, TestEvent, default_pricing, tiers_json
from tests.fixtures.identity import MakeOperator, TestOperator
from tests.fixtures.venues import MakePublishedLayout, MakeVenue, TestLayout, layout_json

Client = httpx.AsyncClient


def soon(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def show_body(layout: TestLayout, **changes: Any) -> dict[str, Any]:
    rules, _, _ = default_pricing(layout)
    return {"starts_at": soon(30), "layout_id": layout.layout_id, "currency": "USD",
            "price_tiers": tiers_json({"premium": 12000, "standard": 8000, "ga": 4500}), "pricing": rules,
            "max_seats_per_buyer": 6, "hold_seconds": 420, **changes}


def paths(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["path"] for e in response.json()["errors"]]


async def test_an_operator_takes_an_event_from_draft_to_sale_and_buyers_see_it(
    client: Client, make_operator: MakeOperator, make_venue: MakeVenue, make_published_layout: MakePublishedLayout
) -> None:
    owner = await make_operator()
    venue = await make_venue(org_id=owner.org_id, city="New York", country="US", timezone="America/New_York")
    layout = await make_published_layout(venue=venue, seats=60, sections=2, zones={"floor": 100})

    created = await client.post("/v1/admin/events", headers=owner.headers, json={
        "venue_id": venue.venue_id, "title": "Spring Gala", "category": "Concert", "description": "An evening",
        "images": ["https://cdn.example/gala.jpg"]})
    assert created.status_code == 201, created.text
    event = created.json()
    assert (event["status"], event["category"], event["venue"]["city"]) == ("draft", "concert", "New York")
    event_id = event["event_id"]
    assert (await client.get(f"/v1/events/{event_id}")).status_code == 404  # a draft is not public

    day = (datetime.now(UTC) + timedelta(days=60)).date()
    first = await client.post(f"/v1/admin/events/{event_id}/shows", headers=owner.headers,
                              json=show_body(layout, starts_at=f"{day}T19:30:00", doors_at=f"{day}T18:45:00"))
    assert first.status_code == 201, first.text
    local = datetime.combine(day, time(19, 30), ZoneInfo("America/New_York"))  # the venue's wall clock
    assert first.json()["starts_at"] == local.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert first.json()["local_starts_at"] == local.isoformat()
    assert first.json()["layout"] == {"layout_id": layout.layout_id, "version": 1, "hash": layout.hash}
    second = await client.post(f"/v1/admin/events/{event_id}/shows", headers=owner.headers,
                               json=show_body(layout, starts_at=soon(70), on_sale_at=soon(20)))
    assert second.status_code == 201, second.text

    published = await client.post(f"/v1/admin/events/{event_id}/publish", headers=owner.headers)
    assert (published.status_code, published.json()["status"], published.json()["revision"]) == (200, "published", 1)
    listed = await client.get(f"/v1/events/{event_id}")
    assert [s["sale_status"] for s in listed.json()["shows"]] == ["scheduled", "scheduled"]

    on_sale = await client.post(f"/v1/admin/shows/{first.json()['show_id']}/on-sale", headers=owner.headers)
    assert on_sale.status_code == 200, on_sale.text
    assert on_sale.json()["inventory"] == {"created": True, "seats": 60, "zones": 1}
    assert on_sale.json()["show"]["inventory"]["seats"]["available"] == 60
    again = await client.post(f"/v1/admin/shows/{first.json()['show_id']}/on-sale", headers=owner.headers)
    assert again.json()["inventory"] == {"created": False, "seats": 60, "zones": 1}
    await client.post(f"/v1/admin/shows/{second.json()['show_id']}/on-sale", headers=owner.headers)

    show = await client.get(f"/v1/shows/{first.json()['show_id']}")
    assert show.status_code == 200
    assert show.headers["cache-control"].startswith("public, max-age=")
    body = show.json()
    assert (body["sale_status"], body["currency"], body["max_seats_per_buyer"]) == ("on_sale", "USD", 6)
    assert [(t["tier_id"], t["price"]) for t in body["price_tiers"]] == [("premium", 12000), ("standard", 8000),
                                                                       ("ga", 4500)]
    assert body["event"]["title"] == "Spring Gala"
    detail = (await client.get(f"/v1/events/{event_id}")).json()
    assert [s["sale_status"] for s in detail["shows"]] == ["on_sale", "scheduled"]  # the second opens later
    page = (await client.get("/v1/events", params={"city": "new york"})).json()
    assert [i["event_id"] for i in page["items"]] == [event_id]
    assert page["items"][0]["upcoming_shows"] == 2


async def test_a_published_events_changes_are_kept_as_revisions(
    client: Client, make_event: MakeEvent
) -> None:
    event = await make_event()
    headers = event.operator.headers
    changed = await client.patch(f"/v1/admin/events/{event.event_id}", headers=headers,
                                 json={"description": "Now with an encore"})
    assert (changed.status_code, changed.json()["revision"]) == (200, 2), changed.text
    assert (await client.get(f"/v1/events/{event.event_id}")).json()["description"] == "Now with an encore"
    revisions = (await client.get(f"/v1/admin/events/{event.event_id}/revisions", headers=headers)).json()["items"]
    assert [(r["revision"], r["description"]) for r in revisions] == [(1, "A test event"), (2, "Now with an encore")]
    assert revisions[0]["valid_to"] == revisions[1]["valid_from"]
    assert revisions[1]["valid_to"] is None
    moved = await client.patch(f"/v1/admin/events/{event.event_id}", headers=headers,
                               json={"venue_id": new_id()})
    assert moved.status_code == 409  # a published event keeps its venue


async def test_bad_show_input_is_refused_naming_each_field_and_nothing_is_created(
    client: Client, make_event: MakeEvent, make_published_layout: MakePublishedLayout
) -> None:
    event = await make_event()
    layout = await make_published_layout(venue=event.venue, seats=10, zones={"floor": 50})
    url, headers = f"/v1/admin/events/{event.event_id}/shows", event.operator.headers

    assert paths(await client.post(url, headers=headers, json=show_body(layout, layout_id=new_id()))) == ["/layout_id"]
    assert paths(await client.post(url, headers=headers, json=show_body(layout, layout_version=9))) == [
        "/layout_version"]
    assert paths(await client.post(url, headers=headers, json=show_body(
        layout, on_sale_at=soon(10), off_sale_at=soon(5)))) == ["/off_sale_at"]
    assert paths(await client.post(url, headers=headers, json=show_body(
        layout, starts_at=soon(10), off_sale_at=soon(11)))) == ["/off_sale_at"]
    negative = show_body(layout)
    negative["price_tiers"][1]["price"] = -100
    assert paths(await client.post(url, headers=headers, json=negative)) == ["/price_tiers/1/price"]
    mismatch = show_body(layout, currency="EUR")
    mismatch["price_tiers"][0]["currency"] = "USD"
    assert paths(await client.post(url, headers=headers, json=mismatch)) == ["/price_tiers/0/currency"]
    assert paths(await client.post(url, headers=headers, json=show_body(layout, currency="XXX"))) == ["/currency"]
    many = show_body(layout, starts_at=soon(-1), hold_seconds=1, pricing=[{"section": "Z", "tier_id": "vip"}])
    assert sorted(paths(await client.post(url, headers=headers, json=many))) == [
        "/hold_seconds", "/pricing/0/section", "/pricing/0/tier_id", "/starts_at"]
    assert paths(await client.post(url, headers=headers, json={"layout_id": layout.layout_id, "pricing": "x"})) == [
        "/starts_at", "/pricing"]
    assert paths(await client.post(url, headers=headers, json=show_body(layout, surprise=1))) == ["/surprise"]
    assert (await client.get(url, headers=headers)).json()["items"] == []


async def test_an_unpublished_layout_cannot_be_pinned(
    client: Client, make_event: MakeEvent
) -> None:
    event = await make_event()
    headers = event.operator.headers
    draft = await client.post(f"/v1/admin/venues/{event.venue.venue_id}/layouts", headers=headers,
                              json=layout_json(10))
    assert draft.status_code == 201, draft.text
    response = await client.post(f"/v1/admin/events/{event.event_id}/shows", headers=headers, json={
        "starts_at": soon(10), "layout_id": draft.json()["layout_id"],
        "price_tiers": [{"tier_id": "a", "name": "A", "price": 100}]})
    assert paths(response) == ["/layout_id"]
    assert "published" in response.json()["errors"][0]["message"]


async def test_a_show_goes_on_sale_only_with_every_seat_priced(
    client: Client, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=25, sections=2, zones={"floor": 10}, on_sale=False)
    headers = show.operator.headers
    sections = sorted({s.section for s in show.layout.seats})
    repriced = await client.patch(f"/v1/admin/shows/{show.show_id}", headers=headers, json={
        "pricing": [{"section": sections[0], "tier_id": "standard"}]})
    assert repriced.status_code == 200, repriced.text
    refused = await client.post(f"/v1/admin/shows/{show.show_id}/on-sale", headers=headers)
    assert refused.status_code == 422
    problem = refused.json()
    unpriced = [s.seat_id for s in show.layout.seats if s.section != sections[0]]
    assert sorted(problem["unpriced_seats"]) == sorted(unpriced)
    assert problem["unpriced_seat_count"] == len(unpriced)
    assert problem["unpriced_zones"] == ["floor"]
    assert {e["path"] for e in problem["errors"]} == {"/pricing"}
    assert (await client.get(f"/v1/admin/shows/{show.show_id}", headers=headers)).json()["status"] == "draft"


async def test_seats_are_blocked_and_released_before_and_during_the_sale_but_never_once_sold(
    client: Client, make_show_on_sale: MakeShowOnSale, service_urls: dict[str, str]
) -> None:
    show = await make_show_on_sale(seats=10, on_sale=False)
    headers, seats = show.operator.headers, show.seat_ids
    url = f"/v1/admin/shows/{show.show_id}/seats"
    before = await client.post(f"{url}/block", headers=headers, json={"seat_ids": seats[:3]})
    assert before.json() == {"changed": sorted(seats[:3]), "blocked_seat_ids": sorted(seats[:3])}
    await client.post(f"/v1/admin/shows/{show.show_id}/on-sale", headers=headers)
    inventory = (await client.get(f"/v1/admin/shows/{show.show_id}", headers=headers)).json()["inventory"]
    assert inventory["seats"] == {"available": 7, "blocked": 3, "reserved": 0, "sold": 0}

    released = await client.post(f"{url}/unblock", headers=headers, json={"seat_ids": seats[:1]})
    assert released.json() == {"changed": seats[:1], "blocked_seat_ids": None}
    with psycopg.connect(service_urls["owner_dsn"], autocommit=True) as owner:
        owner.execute("UPDATE seating.show_seats SET status = 'sold', order_id = %s"
                      " WHERE show_id = %s AND seat_id = %s", (new_id(), show.show_id, seats[5]))
    conflict = await client.post(f"{url}/block", headers=headers, json={"seat_ids": [seats[4], seats[5]]})
    assert conflict.status_code == 409
    assert conflict.json()["conflicts"] == [{"seat_id": seats[5], "status": "sold"}]
    unknown = await client.post(f"{url}/block", headers=headers, json={"seat_ids": ["ffffffffffffffff"]})
    assert unknown.status_code == 422
    inventory = (await client.get(f"/v1/admin/shows/{show.show_id}", headers=headers)).json()["inventory"]
    assert inventory["seats"] == {"available": 7, "blocked": 2, "reserved": 0, "sold": 1}


async def test_box_office_reads_but_does_not_write(
    client: Client, make_event: MakeEvent, make_operator: MakeOperator
) -> None:
    event = await make_event()
    clerk = await make_operator("box_office", org_id=event.org_id)
    assert (await client.get(f"/v1/admin/events/{event.event_id}", headers=clerk.headers)).status_code == 200
    refused = await client.patch(f"/v1/admin/events/{event.event_id}", headers=clerk.headers, json={"title": "x"})
    assert refused.status_code == 403
    assert (await client.post("/v1/admin/events", headers=clerk.headers, json={})).status_code == 403
    assert (await client.post("/v1/admin/events", json={})).status_code == 401
    missing_org = {"Authorization": clerk.headers["Authorization"]}
    assert paths(await client.get("/v1/admin/events", headers=missing_org)) == ["X-Org-ID"]


async def test_another_organization_finds_nothing_of_ours(
    client: Client, make_show_on_sale: MakeShowOnSale, make_event: MakeEvent, make_operator: MakeOperator
) -> None:
    draft: TestEvent = await make_event(publish=False)
    show = await make_show_on_sale(seats=5, event=draft, on_sale=False)
    stranger: TestOperator = await make_operator()
    for method, url in [
        ("GET", f"/v1/admin/events/{draft.event_id}"),
        ("PATCH", f"/v1/admin/events/{draft.event_id}"),
        ("POST", f"/v1/admin/events/{draft.event_id}/publish"),
        ("GET", f"/v1/admin/shows/{show.show_id}"),
        ("POST", f"/v1/admin/shows/{show.show_id}/on-sale"),
        ("POST", f"/v1/admin/shows/{show.show_id}/cancel"),
    ]:
        response = await client.request(method, url, headers=stranger.headers, json={} if method == "PATCH" else None)
        assert response.status_code == 404, (method, url, response.text)
    assert (await client.get("/v1/admin/events", headers=stranger.headers)).json()["items"] == []
    # and buyers see neither the draft event nor its show
    assert (await client.get(f"/v1/events/{draft.event_id}")).status_code == 404
    assert (await client.get(f"/v1/shows/{show.show_id}")).status_code == 404
    assert (await client.get("/v1/shows/not-an-id")).status_code == 404


async def test_cancelling_an_event_shows_at_once_to_buyers(client: Client, make_show_on_sale: MakeShowOnSale) -> None:
    show = await make_show_on_sale(seats=5)
    assert (await client.get(f"/v1/shows/{show.show_id}")).json()["sale_status"] == "on_sale"  # now cached
    cancelled = await client.post(f"/v1/admin/events/{show.event_id}/cancel", headers=show.operator.headers)
    assert cancelled.json()["status"] == "cancelled"
    assert (await client.get(f"/v1/shows/{show.show_id}")).json()["sale_status"] == "cancelled"
    assert (await client.get(f"/v1/events/{show.event_id}")).json()["status"] == "cancelled"
    assert (await client.get("/v1/events")).json()["items"] == []
    again = await client.post(f"/v1/admin/events/{show.event_id}/publish", headers=show.operator.headers)
    assert again.status_code == 409


async def test_a_bad_listing_query_is_refused_naming_the_parameter(client: Client) -> None:
    assert paths(await client.get("/v1/events", params={"cursor": "garbage"})) == ["/cursor"]
    assert paths(await client.get("/v1/events", params={"from": "yesterday"})) == ["/from"]
    assert paths(await client.get("/v1/events", params={"from": soon(5), "to": soon(1)})) == ["/to"]
    assert (await client.get("/v1/events", params={"limit": 500})).status_code == 422


async def test_an_event_names_a_venue_of_its_own_organization(
    client: Client, make_operator: MakeOperator, make_venue: MakeVenue
) -> None:
    owner = await make_operator()
    elsewhere = await make_venue()  # another organization's
    for venue_id in (elsewhere.venue_id, new_id(), "not-an-id"):
        response = await client.post("/v1/admin/events", headers=owner.headers,
                                     json={"venue_id": venue_id, "title": "Gig", "category": "concert"})
        assert paths(response) == ["/venue_id"]
    bad = await client.post("/v1/admin/events", headers=owner.headers, json={
        "venue_id": elsewhere.venue_id, "title": " ", "category": "Not a slug!", "images": ["ftp://x"]})
    assert sorted(paths(bad)) == ["/category", "/images/0", "/title", "/venue_id"]
    assert (await client.get("/v1/admin/events", headers=owner.headers)).json()["items"] == []


async def test_a_show_with_nothing_left_to_sell_is_sold_out(client: Client, make_show_on_sale: MakeShowOnSale) -> None:
    show = await make_show_on_sale(seats=3, blocked=3)
    assert (await client.get(f"/v1/shows/{show.show_id}")).json()["sale_status"] == "sold_out"
    admin = (await client.get(f"/v1/admin/shows/{show.show_id}", headers=show.operator.headers)).json()
    assert (admin["status"], admin["sale_status"]) == ("on_sale", "sold_out")
    empty = await client.post(f"/v1/admin/shows/{show.show_id}/seats/unblock", headers=show.operator.headers,
                              json={"seat_ids": []})
    assert paths(empty) == ["/seat_ids"]
