"""Best available through the HTTP API: the server picks the best seats free now, with the same rules
as any hold, and the operator's single-seat rule."""

from __future__ import annotations

from typing import Any

import httpx

from lml.config import Settings
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.seating import MakeBuyer, TestBuyer, seat_places


async def best(api: httpx.AsyncClient, show_id: str, buyer: TestBuyer, **ask: Any) -> httpx.Response:
    return await api.post(f"/v1/shows/{show_id}/holds", json={"best_available": ask}, headers=buyer.headers)


async def test_the_best_seats_together_come_with_their_labels(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=40)
    placed = await seat_places(settings, show.show_id)
    response = await best(api, show.show_id, make_buyer(), quantity=3)
    assert response.status_code == 201, response.text
    body = response.json()
    seats = body["seats"]
    assert len(seats) == 3
    assert [label["seat_id"] for label in body["seat_labels"]] == seats
    assert all(label["label"].startswith("A, row ") for label in body["seat_labels"])
    # One row, side by side, and it holds the best seat of the show (the focal point is the top centre).
    rows = {placed[s][1] for s in seats}
    assert len(rows) == 1
    positions = sorted(placed[s][2] for s in seats)
    assert positions == list(range(positions[0], positions[0] + 3))
    assert min(placed[s][0] for s in seats) == 1


async def test_seat_ids_and_best_available_at_once_are_refused(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale,
) -> None:
    show = await make_show_on_sale(seats=10)
    response = await api.post(f"/v1/shows/{show.show_id}/holds", headers=make_buyer().headers,
                              json={"seat_ids": show.seat_ids[:1], "best_available": {"quantity": 1}})
    assert response.status_code == 422
    assert any(e["path"] == "/best_available" for e in response.json()["errors"])
    response = await best(api, show.show_id, make_buyer(), quantity=0, sections=["Z"])
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == ["/best_available/quantity"]
    response = await best(api, show.show_id, make_buyer(), quantity=1, sections=["A", "Z"], tier_id="nope")
    assert response.status_code == 422
    assert {e["path"] for e in response.json()["errors"]} == {"/best_available/tier_id",
                                                               "/best_available/sections/1"}


async def test_no_fit_is_a_409_saying_what_could_still_be_had(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale,
) -> None:
    show = await make_show_on_sale(seats=10, avoid_single_seats="off")  # one row of ten
    first = await best(api, show.show_id, make_buyer(), quantity=4)  # the middle of the row
    assert first.status_code == 201
    response = await best(api, show.show_id, make_buyer(), quantity=4)
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("not-enough-seats")
    assert (problem["together"], problem["apart"], problem["requested"]) == (3, 6, 4)
    apart = await best(api, show.show_id, make_buyer(), quantity=4, together=False)
    assert apart.status_code == 201


async def test_the_buyer_limit_applies_to_best_available_as_to_any_hold(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale,
) -> None:
    show = await make_show_on_sale(seats=20, max_seats_per_buyer=4)
    buyer = make_buyer()
    assert (await best(api, show.show_id, buyer, quantity=3)).status_code == 201
    response = await best(api, show.show_id, buyer, quantity=2)
    assert response.status_code == 422
    assert response.json()["type"].endswith("buyer-limit-exceeded")


async def test_an_explicit_hold_leaving_a_single_seat_is_refused_when_the_operator_asks(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=10, avoid_single_seats="all_holds")
    by_pos = {pos: seat for seat, (_, _, pos) in (await seat_places(settings, show.show_id)).items()}
    response = await api.post(f"/v1/shows/{show.show_id}/holds", headers=make_buyer().headers,
                              json={"seat_ids": [by_pos[1], by_pos[2]]})
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("single-seat-left")
    assert problem["single_seat"] == by_pos[0]
    ok = await api.post(f"/v1/shows/{show.show_id}/holds", headers=make_buyer().headers,
                        json={"seat_ids": [by_pos[0], by_pos[1]]})
    assert ok.status_code == 201
    lax = await make_show_on_sale(seats=10)  # the default: best available only
    by_pos = {pos: seat for seat, (_, _, pos) in (await seat_places(settings, lax.show_id)).items()}
    response = await api.post(f"/v1/shows/{lax.show_id}/holds", headers=make_buyer().headers,
                              json={"seat_ids": [by_pos[1]]})
    assert response.status_code == 201
