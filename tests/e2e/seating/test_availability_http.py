"""The seat map and the availability snapshot: compact, cacheable, exact."""

from __future__ import annotations

import httpx

from lml.platform.ids import new_id
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.seating import MakeBuyer, place_hold
from tests.timing import TestClock


def availability_url(show: TestShow) -> str:
    return f"/v1/shows/{show.show_id}/availability"


def status_of(show: TestShow, statuses: str, seat_id: str) -> str:
    return statuses[sorted(show.seat_ids).index(seat_id)]


async def test_availability_gives_each_seat_a_status_and_each_zone_its_places_left(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=12, zones={"floor": 30}, blocked=1)
    held = show.seat_ids[4:6]
    await place_hold(api, show.show_id, make_buyer(), seats=held, zones={"floor": 4})
    response = await api.get(availability_url(show))
    assert response.status_code == 200
    body = response.json()
    assert len(body["seats"]) == 12
    assert status_of(show, body["seats"], show.seat_ids[0]) == "b"
    assert [status_of(show, body["seats"], s) for s in held] == ["h", "h"]
    assert body["seats"].count("a") == 9
    assert body["zones"] == [{"zone_id": "floor", "capacity": 30, "remaining": 26}]
    assert body["legend"] == {"a": "available", "h": "held", "r": "reserved", "s": "sold", "b": "blocked"}


async def test_the_etag_changes_exactly_when_availability_changes(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, hold_clock: TestClock
) -> None:
    show = await make_show_on_sale(seats=6)
    first = await api.get(availability_url(show))
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    assert (await api.get(availability_url(show))).headers["etag"] == etag
    unchanged = await api.get(availability_url(show), headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    # A refused hold changes nothing.
    assert (await api.post(f"/v1/shows/{show.show_id}/holds", json={"seat_ids": ["0" * 16]},
                           headers=make_buyer().headers)).status_code == 422
    assert (await api.get(availability_url(show), headers={"If-None-Match": etag})).status_code == 304
    held = await place_hold(api, show.show_id, make_buyer("user"), seats=show.seat_ids[:1])
    after_hold = await api.get(availability_url(show), headers={"If-None-Match": etag})
    assert after_hold.status_code == 200
    assert after_hold.headers["etag"] != etag
    # Extending changes no status: same answer.
    hold_clock.advance(milliseconds=1_000)
    assert (await api.patch(f"/v1/holds/{held.hold_id}", headers=held.if_match)).status_code == 200
    same = await api.get(availability_url(show), headers={"If-None-Match": after_hold.headers["etag"]})
    assert same.status_code == 304
    # Expiry is a change, seen by the next reader without any worker.
    hold_clock.advance(milliseconds=show.hold_seconds * 1000)
    expired = await api.get(availability_url(show), headers={"If-None-Match": after_hold.headers["etag"]})
    assert expired.status_code == 200
    assert expired.json()["seats"] == "a" * 6
    assert expired.headers["etag"] not in (etag, after_hold.headers["etag"])


async def test_a_20000_seat_show_answers_in_about_20_kilobytes(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=20_000, sections=20)
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[100:104])
    response = await api.get(availability_url(show))
    assert response.status_code == 200
    assert len(response.json()["seats"]) == 20_000
    assert len(response.content) < 21_000
    assert response.json()["seats"].count("h") == 4


async def test_the_seat_map_has_geometry_tiers_and_prices_and_is_cached_by_etag(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=10, zones={"floor": 50}, tier_prices={"premium": 15000, "standard": 9000,
                                                                                "ga": 5000})
    url = f"/v1/shows/{show.show_id}/seatmap"
    response = await api.get(url)
    assert response.status_code == 200, response.text
    assert "max-age=86400" in response.headers["cache-control"]
    body = response.json()
    assert body["seat_ids"] == sorted(show.seat_ids)
    prices = {tier["tier_id"]: tier["price"] for tier in body["tiers"]}
    assert prices == {"premium": 15000, "standard": 9000, "ga": 5000}
    tier_of = {seat: body["tiers"][index]["tier_id"] for seat, index in zip(body["seat_ids"], body["seat_tiers"],
                                                                            strict=True)}
    assert tier_of == show.seat_tiers
    assert [(z["zone_id"], body["tiers"][z["tier"]]["tier_id"]) for z in body["zones"]] == [("floor", "ga")]
    layout_seats = {seat["seat_id"] for seat in _seats_of(body["layout"])}
    assert layout_seats == set(show.seat_ids)
    etag = response.headers["etag"]
    again = await api.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.headers["etag"], again.content) == (304, etag, b"")
    assert (await api.get(url)).content == response.content
    assert (await api.get(f"/v1/shows/{new_id()}/seatmap")).status_code == 404


def _seats_of(document: object) -> list[dict[str, object]]:
    """Every object with a `seat_id` in the layout export, wherever its nesting puts them."""
    found: list[dict[str, object]] = []
    if isinstance(document, dict):
        if "seat_id" in document:
            found.append(document)
        for value in document.values():
            found += _seats_of(value)
    elif isinstance(document, list):
        for item in document:
            found += _seats_of(item)
    return found
