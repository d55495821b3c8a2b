"""One client address cannot hold a whole show with free guest sessions: the places held at once from
one address (an IPv6 /64 counts as one) are capped per show, and freed like any held place."""

from __future__ import annotations

from typing import Any

import httpx

from lml.config import Settings
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.seating import ApiFrom, hold_body
from tests.timing import TestClock


async def guest(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    session = await client.post("/v1/auth/guest", json={"email": email, "name": "Guest"})
    assert session.status_code == 201, session.text
    return {"Authorization": f"Bearer {session.json()['access_token']}"}


async def hold(client: httpx.AsyncClient, show: TestShow, headers: dict[str, str], seats: list[str]) -> httpx.Response:
    return await client.post(f"/v1/shows/{show.show_id}/holds", json=hold_body(seats), headers=headers)


def refusal(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) >= 1
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/address-hold-cap-reached")
    return body


async def test_ten_guest_sessions_from_one_address_hold_no_more_than_the_cap(
    api: httpx.AsyncClient, api_from: ApiFrom, make_show_on_sale: MakeShowOnSale, settings: Settings
) -> None:
    show = await make_show_on_sale(seats=40, max_seats_per_buyer=4)
    answers = []
    for i in range(10):
        headers = await guest(api, f"guest{i}@example.com")
        answers.append(await hold(api, show, headers, show.seat_ids[4 * i : 4 * i + 4]))
    assert [a.status_code for a in answers] == [201] * 6 + [409] * 4
    cap = settings.max_held_per_address
    assert cap == 24
    body = refusal(answers[6])
    assert (body["cap"], body["held"], body["requested"]) == (cap, cap, 4)
    assert str(cap) in body["detail"]

    availability = (await api.get(f"/v1/shows/{show.show_id}/availability")).json()
    assert availability["seats"].count("h") == cap
    # Buyers elsewhere still find the other 16 seats.
    elsewhere = api_from("203.0.113.7")
    far = await hold(elsewhere, show, await guest(elsewhere, "far@example.com"), show.seat_ids[24:28])
    assert far.status_code == 201, far.text


async def test_released_and_expired_places_count_no_more_for_the_address(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, settings: Settings, hold_clock: TestClock
) -> None:
    show = await make_show_on_sale(seats=40, max_seats_per_buyer=8, hold_seconds=300)
    holds = []
    for i in range(3):
        headers = await guest(api, f"g{i}@example.com")
        answer = await hold(api, show, headers, show.seat_ids[8 * i : 8 * i + 8])
        assert answer.status_code == 201, answer.text
        holds.append((headers, answer.json()))
    late = await guest(api, "late@example.com")
    refusal(await hold(api, show, late, show.seat_ids[24:25]))

    headers, first = holds[0]
    released = await api.delete(f"/v1/holds/{first['hold_id']}", headers={**headers, "If-Match": first["hold_token"]})
    assert released.status_code == 204
    assert (await hold(api, show, late, show.seat_ids[24:32])).status_code == 201
    refusal(await hold(api, show, await guest(api, "later@example.com"), show.seat_ids[32:33]))

    hold_clock.advance(milliseconds=show.hold_seconds * 1000)  # every hold has expired
    assert (await hold(api, show, await guest(api, "again@example.com"), show.seat_ids[32:40])).status_code == 201


async def test_an_ipv6_network_is_one_address_but_ipv4_neighbours_are_not(
    api_from: ApiFrom, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=40, max_seats_per_buyer=8)
    for i in range(3):
        client = api_from(f"2001:db8:1:2::{i + 1}")
        answer = await hold(client, show, await guest(client, f"v6-{i}@example.com"), show.seat_ids[8 * i : 8 * i + 8])
        assert answer.status_code == 201, answer.text
    same_network = api_from("2001:db8:1:2:ffff::9")
    refusal(await hold(same_network, show, await guest(same_network, "v6-x@example.com"), show.seat_ids[24:25]))
    next_network = api_from("2001:db8:1:3::1")
    answer = await hold(next_network, show, await guest(next_network, "v6-y@example.com"), show.seat_ids[24:32])
    assert answer.status_code == 201, answer.text
    neighbour = api_from("198.51.100.2")
    answer = await hold(neighbour, show, await guest(neighbour, "v4@example.com"), show.seat_ids[32:40])
    assert answer.status_code == 201, answer.text
