"""A buyer asking for their place far more often than told is refused (the poll budget), per show:
the place script spends the buyer's general budget and polls for the show in the one call a poll
makes, and a refused poll answers 429 with the poll budget's headers."""

from __future__ import annotations

import httpx

from lml.admission.infrastructure.http import POLLS_PER_BUYER
from tests.e2e.admission.test_waiting_room import join, open_room
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.seating import MakeBuyer, TestBuyer
from tests.timing import TestClock


async def _poll(api: httpx.AsyncClient, show: TestShow, buyer: TestBuyer) -> httpx.Response:
    return await api.get(f"/v1/shows/{show.show_id}/queue/me", headers=buyer.headers)


async def test_a_buyer_who_spent_their_polls_on_one_show_is_refused_there_and_still_polls_another(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, clock: TestClock,
) -> None:
    first, second = await make_show_on_sale(seats=4), await make_show_on_sale(seats=4)
    buyer = make_buyer()
    for show in (first, second):
        await open_room(api, show, clock)
        assert (await join(api, show, buyer)).status_code == 201

    answers = [await _poll(api, first, buyer) for _ in range(POLLS_PER_BUYER.capacity + 1)]

    assert [answer.status_code for answer in answers[:POLLS_PER_BUYER.capacity]] == [200] * POLLS_PER_BUYER.capacity
    refused = answers[-1]
    assert refused.status_code == 429 and refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) >= 1
    assert (refused.headers["ratelimit-limit"], refused.headers["ratelimit-remaining"]) == (
        str(POLLS_PER_BUYER.capacity), "0")
    polled = await _poll(api, second, buyer)
    assert polled.status_code == 200
    assert (polled.headers["ratelimit-limit"], polled.headers["ratelimit-remaining"]) == (
        str(POLLS_PER_BUYER.capacity), str(POLLS_PER_BUYER.capacity - 1))
