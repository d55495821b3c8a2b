"""The general rate limit on every route: per principal with a valid token, per client address
without one; routes that need a token answer 401 first, whatever the address' budget; a route's own
tighter budget speaks in the RateLimit-* headers where it has one."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from lml.config import Settings
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.seating import ApiFrom, MakeBuyer

BURST = 4


@pytest.fixture
def settings(base_settings: Settings, clean_world: None) -> Settings:
    # Refilled so slowly that no token comes back while a test runs.
    return msgspec.structs.replace(base_settings, rate_limit_principal_burst=BURST, rate_limit_address_burst=BURST,
                                   rate_limit_principal_per_second=0.001, rate_limit_address_per_second=0.001)


def counted_down(answers: list[httpx.Response]) -> list[str]:
    assert {a.headers["ratelimit-limit"] for a in answers} == {str(BURST)}
    return [a.headers["ratelimit-remaining"] for a in answers]


def refused(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) >= 1 and answer.headers["ratelimit-remaining"] == "0"


async def test_an_anonymous_address_has_a_budget_of_its_own(api_from: ApiFrom) -> None:
    here, there = api_from("198.51.100.1"), api_from("198.51.100.2")
    answers = [await here.get("/v1/events") for _ in range(BURST)]
    assert [a.status_code for a in answers] == [200] * BURST
    assert counted_down(answers) == [str(n) for n in range(BURST - 1, -1, -1)]
    refused(await here.get("/v1/events"))
    # A bad token is no token: the address pays.
    refused(await here.get("/v1/events", headers={"Authorization": "Bearer junk"}))
    assert (await there.get("/v1/events")).status_code == 200
    # Probes, scrapes and the OpenAPI document are not limited.
    for path in ("/livez", "/metrics", "/schema/openapi.json"):
        answer = await here.get(path)
        assert answer.status_code == 200 and "ratelimit-limit" not in answer.headers


async def test_routes_that_need_a_token_answer_401_before_any_429(
    api_from: ApiFrom, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=4)
    here = api_from("198.51.100.3")
    for _ in range(BURST + 1):
        await here.get("/v1/events")
    refused(await here.get("/v1/events"))
    for answer in (
        await here.get("/v1/orders"),
        await here.get("/v1/orders", headers={"Authorization": "Bearer junk"}),
        await here.post(f"/v1/shows/{show.show_id}/holds", json={"seat_ids": show.seat_ids[:1], "zones": {}}),
        await here.get("/v1/admin/venues"),
    ):
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_a_buyer_has_a_budget_of_their_own_wherever_they_call_from(
    api_from: ApiFrom, make_buyer: MakeBuyer
) -> None:
    ann, bob = make_buyer(), make_buyer()
    answers = [await api_from(f"198.51.100.{10 + i}").get("/v1/orders", headers=ann.headers) for i in range(BURST)]
    assert [a.status_code for a in answers] == [200] * BURST
    assert counted_down(answers)[-1] == "0"
    refused(await api_from("198.51.100.99").get("/v1/orders", headers=ann.headers))
    # Anonymous routes count the token's owner too.
    refused(await api_from("198.51.100.99").get("/v1/events", headers=ann.headers))
    assert (await api_from("198.51.100.10").get("/v1/orders", headers=bob.headers)).status_code == 200
    # The buyer's address is none the poorer.
    assert (await api_from("198.51.100.10").get("/v1/events")).status_code == 200


async def test_a_routes_own_budget_speaks_in_the_headers(
    api_from: ApiFrom, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    held = await api_from("198.51.100.20").post(
        f"/v1/shows/{show.show_id}/holds", json={"seat_ids": show.seat_ids[:1], "zones": {}}, headers=buyer.headers)
    assert held.status_code == 201, held.text
    # Holds' own budget (20 at once), not the general one's 4.
    assert held.headers["ratelimit-limit"] == "20" and held.headers["ratelimit-remaining"] == "19"


async def test_hold_requests_draw_on_a_general_budget_of_their_own_per_show(
    api_from: ApiFrom, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer
) -> None:
    first, second = await make_show_on_sale(seats=4), await make_show_on_sale(seats=4)
    buyer, here = make_buyer(), api_from("198.51.100.30")

    async def hold(show_id: str) -> httpx.Response:
        return await here.post(f"/v1/shows/{show_id}/holds", json={"seat_ids": ["0" * 16]}, headers=buyer.headers)

    assert [(await hold(first.show_id)).status_code for _ in range(BURST)] == [422] * BURST
    refused(await hold(first.show_id))
    # The hold script spends them in its one step: the show's budget, not the buyer's everywhere.
    assert (await hold(second.show_id)).status_code == 422
    orders = await here.get("/v1/orders", headers=buyer.headers)
    assert orders.status_code == 200 and orders.headers["ratelimit-remaining"] == str(BURST - 1)


async def test_availability_reads_draw_on_a_general_budget_of_their_own_per_show(
    api_from: ApiFrom, make_show_on_sale: MakeShowOnSale
) -> None:
    first, second = await make_show_on_sale(seats=4), await make_show_on_sale(seats=4)
    here = api_from("198.51.100.40")
    url = f"/v1/shows/{first.show_id}/availability"
    whole = await here.get(url)
    answers = [whole, *[await here.get(url, headers={"If-None-Match": whole.headers["etag"]})
                        for _ in range(BURST - 1)]]
    assert [a.status_code for a in answers] == [200] + [304] * (BURST - 1)
    assert counted_down(answers) == [str(n) for n in range(BURST - 1, -1, -1)]
    refused(await here.get(url, headers={"If-None-Match": whole.headers["etag"]}))
    # The snapshot script spends it in its one step: the show's budget, not the address' everywhere.
    assert (await here.get(f"/v1/shows/{second.show_id}/availability")).status_code == 200
    events = await here.get("/v1/events")
    assert events.status_code == 200 and events.headers["ratelimit-remaining"] == str(BURST - 1)
    # A show that does not exist costs its budget too, and nothing more once it is spent.
    unknown = f"/v1/shows/{'0' * 8}-0000-7000-8000-{'0' * 12}/availability"
    answers = [await here.get(unknown) for _ in range(BURST)]
    assert [a.status_code for a in answers] == [404] * BURST and counted_down(answers)[-1] == "0"
    refused(await here.get(unknown))
