"""A show's waiting room over HTTP: the operator sets it, buyers join its line and are let in by the
worker's tick at the room's pace, and a hold needs the pass the line gives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from lml.config import Settings
from tests.e2e.ordering.journey import hold
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.identity import MakeOperator
from tests.fixtures.ordering import TestWorker
from tests.fixtures.seating import MakeBuyer, TestBuyer
from tests.timing import TestClock


def _is_problem(response: httpx.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    if kind is not None:
        assert problem["type"].endswith(f"/{kind}"), problem
    return problem


async def open_room(api: httpx.AsyncClient, show: TestShow, clock: TestClock, **settings: Any) -> dict[str, Any]:
    body = {"enabled": True, "opens_at": (clock.now() - timedelta(minutes=1)).isoformat(), "admit_per_minute": 60,
            "max_active": 100, **settings}
    response = await api.put(f"/v1/admin/shows/{show.show_id}/waiting-room", json=body,
                             headers=show.operator.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def join(api: httpx.AsyncClient, show: TestShow, buyer: TestBuyer) -> httpx.Response:
    return await api.post(f"/v1/shows/{show.show_id}/queue", headers=buyer.headers)


async def place(api: httpx.AsyncClient, show: TestShow, buyer: TestBuyer) -> dict[str, Any]:
    response = await api.get(f"/v1/shows/{show.show_id}/queue/me", headers=buyer.headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["retry-after"] == str(response.json()["poll_after_seconds"])
    return response.json()  # type: ignore[no-any-return]


async def test_buyers_join_once_wait_their_turn_and_hold_with_their_pass(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, worker: TestWorker,
    clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=10)
    room = await open_room(api, show, clock, admit_per_minute=60, max_active=2)
    assert (room["state"], room["waiting"]) == ("admitting", 0)
    first, second, third = make_buyer("user"), make_buyer(), make_buyer()

    joined = await join(api, show, first)
    assert joined.status_code == 201, joined.text
    again = await join(api, show, first)
    assert (again.status_code, again.json()["entry_id"]) == (200, joined.json()["entry_id"])
    for buyer in (second, third):
        assert (await join(api, show, buyer)).status_code == 201
    assert [(await place(api, show, b))["position"] for b in (first, second, third)] == [1, 2, 3]
    _is_problem(await hold(api, third, show.show_id, show.seat_ids[:1]), 403, "queue-pass-required")

    assert await worker.admit_buyers() == 2  # max_active
    admitted = await place(api, show, first)
    assert admitted["state"] == "admitted" and admitted["pass_token"]
    assert (await place(api, show, third))["position"] == 1
    held = await api.post(f"/v1/shows/{show.show_id}/holds", json={"seat_ids": show.seat_ids[:2]},
                          headers={**first.headers, "X-Queue-Pass": admitted["pass_token"]})
    assert held.status_code == 201, held.text

    # The second's pass lapses unused (10 minutes); the first's lives as long as its hold may (20).
    clock.advance(minutes=15)
    status = (await api.get(f"/v1/admin/shows/{show.show_id}/waiting-room", headers=show.operator.headers)).json()
    assert (status["waiting"], status["active"], status["admitted_total"]) == (1, 1, 2)
    assert await worker.admit_buyers() == 1
    assert (await place(api, show, third))["state"] == "admitted"


async def test_the_room_s_settings_are_checked_and_its_operators_alone_set_them(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_operator: MakeOperator, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4, on_sale_in=timedelta(hours=1))
    path = f"/v1/admin/shows/{show.show_id}/waiting-room"
    bad = {"enabled": True, "opens_at": (clock.now() + timedelta(hours=2)).isoformat(), "admit_per_minute": 0,
           "max_active": -1, "pass_seconds": 5}
    problem = _is_problem(await api.put(path, json=bad, headers=show.operator.headers), 422)
    assert sorted(e["path"] for e in problem["errors"]) == ["/admit_per_minute", "/max_active", "/opens_at",
                                                            "/pass_seconds"]
    _is_problem(await api.put(path, json={"enabled": True}, headers=show.operator.headers), 422)
    _is_problem(await api.get(path, headers=show.operator.headers), 404)  # no room yet

    box_office = await make_operator("box_office", org_id=show.org_id)
    stranger = await make_operator("owner")
    good = {"enabled": True, "opens_at": clock.now().isoformat(), "admit_per_minute": 100, "max_active": 50}
    _is_problem(await api.put(path, json=good, headers=box_office.headers), 403)
    _is_problem(await api.put(path, json=good, headers=stranger.headers), 404)
    room = await api.put(path, json=good, headers=show.operator.headers)
    assert room.status_code == 200, room.text
    assert (room.json()["state"], room.json()["pass_seconds"]) == ("pre_queue", 600)
    assert (await api.get(path, headers=box_office.headers)).json() == room.json()


async def test_joining_needs_a_buyer_an_enabled_room_and_its_opening(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4, on_sale_in=timedelta(hours=2))
    buyer = make_buyer()
    assert (await api.post(f"/v1/shows/{show.show_id}/queue")).status_code == 401
    _is_problem(await join(api, show, buyer), 409, "waiting-room-not-enabled")
    await open_room(api, show, clock, opens_at=(clock.now() + timedelta(hours=1)).isoformat())
    _is_problem(await join(api, show, buyer), 409, "waiting-room-not-open")
    _is_problem(await api.get(f"/v1/shows/{show.show_id}/queue/me", headers=buyer.headers), 404, "not-in-line")

    clock.advance(hours=1)
    early = await join(api, show, buyer)
    assert early.status_code == 201, early.text
    assert (early.json()["state"], early.json()["position"]) == ("pre_queue", None)
    clock.advance(hours=1)  # the sale opens: the pre-queue is in line
    assert ((await place(api, show, buyer))["state"], (await place(api, show, buyer))["position"]) == ("waiting", 1)


async def test_a_second_guest_session_with_the_same_email_has_the_same_place(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    await open_room(api, show, clock)
    sessions = [await api.post("/v1/auth/guest", json={"email": "fan@example.com", "name": "Fan"}) for _ in range(2)]
    first, second = ({"Authorization": f"Bearer {s.json()['access_token']}"} for s in sessions)

    joined = await api.post(f"/v1/shows/{show.show_id}/queue", headers=first)
    again = await api.post(f"/v1/shows/{show.show_id}/queue", headers=second)
    assert (joined.status_code, again.status_code) == (201, 200)
    assert again.json()["entry_id"] == joined.json()["entry_id"]


async def test_a_hold_needs_the_buyer_s_own_live_pass_for_this_show(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, worker: TestWorker,
    clock: TestClock,
) -> None:
    show, other = await make_show_on_sale(seats=6), await make_show_on_sale(seats=6)
    await open_room(api, show, clock)
    await open_room(api, other, clock)
    buyer, stranger = make_buyer(), make_buyer()
    for who, where in ((buyer, show), (buyer, other), (stranger, show)):
        await join(api, where, who)
    await worker.admit_buyers()
    mine, for_other = (await place(api, show, buyer))["pass_token"], (await place(api, other, buyer))["pass_token"]

    async def hold_with(who: TestBuyer, token: str, seat: int) -> httpx.Response:
        return await api.post(f"/v1/shows/{show.show_id}/holds", json={"seat_ids": [show.seat_ids[seat]]},
                              headers={**who.headers, "X-Queue-Pass": token})

    problem = _is_problem(await hold(api, buyer, show.show_id, show.seat_ids[:1]), 403, "queue-pass-required")
    assert problem["queue_url"] == f"/v1/shows/{show.show_id}/queue"
    _is_problem(await hold_with(buyer, for_other, 0), 403, "queue-pass-invalid")
    _is_problem(await hold_with(stranger, mine, 0), 403, "queue-pass-invalid")
    body, mac = mine.split(".")
    _is_problem(await hold_with(buyer, f"{body}.{mac[::-1]}", 0), 403, "queue-pass-invalid")
    clock.advance(minutes=11)
    _is_problem(await hold_with(buyer, mine, 0), 403, "queue-pass-invalid")
    availability = (await api.get(f"/v1/shows/{show.show_id}/availability")).json()
    assert set(availability["seats"]) == {"a"}  # nothing held by any of these


async def test_sold_out_is_told_to_the_line_at_once_and_admission_resumes_when_places_come_back(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, worker: TestWorker,
    clock: TestClock, hold_clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=2, hold_seconds=300)
    await open_room(api, show, clock, max_active=1, pass_seconds=60)
    holder, waiting = make_buyer(), make_buyer()
    await join(api, show, holder)
    await join(api, show, waiting)
    await worker.admit_buyers()
    token = (await place(api, show, holder))["pass_token"]
    held = await api.post(f"/v1/shows/{show.show_id}/holds", json={"seat_ids": show.seat_ids},
                          headers={**holder.headers, "X-Queue-Pass": token})
    assert held.status_code == 201, held.text

    await worker.admit_buyers()
    assert (await place(api, show, waiting))["state"] == "sold_out"
    status = (await api.get(f"/v1/admin/shows/{show.show_id}/waiting-room", headers=show.operator.headers)).json()
    assert status["state"] == "sold_out"

    clock.advance(minutes=6)  # the hold lapses, and the pass it kept alive with it
    hold_clock.advance(minutes=6)
    await worker.admit_buyers()
    assert (await place(api, show, waiting))["state"] == "admitted"


async def test_a_paused_room_admits_nobody_and_says_so(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, worker: TestWorker,
    clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    await open_room(api, show, clock)
    buyer = make_buyer()
    await join(api, show, buyer)
    paused = await api.post(f"/v1/admin/shows/{show.show_id}/waiting-room/pause", headers=show.operator.headers)
    assert (paused.status_code, paused.json()["state"]) == (200, "paused")

    assert await worker.admit_buyers() == 0
    assert ((await place(api, show, buyer))["state"], (await place(api, show, buyer))["position"]) == ("paused", 1)
    resumed = await api.post(f"/v1/admin/shows/{show.show_id}/waiting-room/resume", headers=show.operator.headers)
    assert resumed.json()["state"] == "admitting"
    assert await worker.admit_buyers() == 1


async def test_buyers_let_in_by_the_room_are_not_capped_by_the_address_they_share(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, worker: TestWorker,
    clock: TestClock, settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=40)
    await open_room(api, show, clock)
    office = [make_buyer() for _ in range(4)]  # one address, beyond its cap together
    assert 4 * show.max_seats_per_buyer > settings.max_held_per_address
    for buyer in office:
        await join(api, show, buyer)
    await worker.admit_buyers()

    seats = iter(show.seat_ids)
    for buyer in office:
        token = (await place(api, show, buyer))["pass_token"]
        held = await api.post(f"/v1/shows/{show.show_id}/holds",
                              json={"seat_ids": [next(seats) for _ in range(show.max_seats_per_buyer)]},
                              headers={**buyer.headers, "X-Queue-Pass": token})
        assert held.status_code == 201, held.text


async def test_a_cancelled_show_closes_its_room_to_those_in_line_and_to_newcomers(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, worker: TestWorker,
    clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    await open_room(api, show, clock, max_active=1)
    first, waiting = make_buyer(), make_buyer()
    await join(api, show, first)
    await join(api, show, waiting)
    cancelled = await api.post(f"/v1/admin/shows/{show.show_id}/cancel", headers=show.operator.headers)
    assert cancelled.status_code == 200, cancelled.text

    assert await worker.admit_buyers() == 0
    assert ((await place(api, show, waiting))["state"], (await place(api, show, waiting))["position"]) == (
        "closed", None)
    _is_problem(await join(api, show, make_buyer()), 409, "waiting-room-closed")
    status = (await api.get(f"/v1/admin/shows/{show.show_id}/waiting-room", headers=show.operator.headers)).json()
    assert status["state"] == "closed"
