"""A show's limit of seats per buyer counts what the buyer holds, has ordered and has bought, over
HTTP: held in Redis when a hold is placed, and in PostgreSQL when an order is placed. Guests count
by email for the limit, yet each guest session keeps its own holds and orders."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import psycopg

from lml.container import Container
from lml.platform.domain.buyer_limit import limit_key
from lml.platform.resources import Resources
from lml.seating.infrastructure.http import PLACE_HOLDS
from tests.e2e.ordering.journey import hold, order, pay_on_stripe
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.identity import MakeUser
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp

LIMIT = 4


class Session:
    def __init__(self, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}


async def guest(api: httpx.AsyncClient, email: str) -> Session:
    session = await api.post("/v1/auth/guest", json={"email": email, "name": "Guest"})
    assert session.status_code == 201, session.text
    return Session(session.json()["access_token"])


def over_limit(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/buyer-limit-exceeded")
    assert body["limit"] == LIMIT
    return body


async def test_three_rounds_of_hold_order_pay_stop_at_the_limit(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=12, max_seats_per_buyer=LIMIT)
    buyer = await make_user()
    answers = []
    for round_ in range(3):
        held = await hold(api, buyer, show.show_id, show.seat_ids[4 * round_ : 4 * round_ + 4])
        answers.append(held)
        if held.status_code != 201:
            continue
        placed = await order(api, buyer, held.json())
        assert placed.status_code == 201, placed.text
        await pay_on_stripe(stripe_app, signed_webhook, placed.json()["payment"]["payment_intent_id"])
        await worker.drain()
    assert [a.status_code for a in answers] == [201, 422, 422]
    body = over_limit(answers[1])
    assert (body["held"], body["ordered"], body["requested"]) == (0, LIMIT, 4)
    orders = (await api.get("/v1/orders", headers=buyer.headers)).json()["orders"]
    assert [(o["status"], len(o["lines"])) for o in orders] == [("paid", 4)]
    # Even one more seat is refused.
    over_limit(await hold(api, buyer, show.show_id, show.seat_ids[8:9]))


async def test_a_cancelled_order_gives_its_places_back_to_the_buyer(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=12, max_seats_per_buyer=LIMIT)
    buyer = await make_user()
    held = await hold(api, buyer, show.show_id, show.seat_ids[:3])
    placed = (await order(api, buyer, held.json())).json()
    over_limit(await hold(api, buyer, show.show_id, show.seat_ids[3:5]))
    cancelled = await api.post(f"/v1/orders/{placed['order_id']}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    await worker.drain()
    again = await hold(api, buyer, show.show_id, show.seat_ids[4:8])
    assert again.status_code == 201, again.text


async def test_guest_sessions_with_one_email_share_the_limit_but_not_their_holds_or_orders(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale,
) -> None:
    show = await make_show_on_sale(seats=12, max_seats_per_buyer=LIMIT)
    first = await guest(api, "ada@example.com")
    second = await guest(api, " Ada@Example.com ")
    held = await hold(api, first, show.show_id, show.seat_ids[:2])
    assert held.status_code == 201, held.text
    placed = await order(api, first, held.json())
    assert placed.status_code == 201, placed.text
    also = await hold(api, first, show.show_id, show.seat_ids[2:3])
    assert also.status_code == 201, also.text

    body = over_limit(await hold(api, second, show.show_id, show.seat_ids[3:5]))
    assert (body["held"], body["ordered"], body["requested"]) == (1, 2, 2)
    assert (await hold(api, second, show.show_id, show.seat_ids[3:4])).status_code == 201

    # The limit is shared; the holds and orders are not.
    spent = also.json()
    assert (await order(api, second, spent)).status_code == 404
    release = await api.delete(f"/v1/holds/{spent['hold_id']}", headers={**second.headers,
                                                                          "If-Match": spent["hold_token"]})
    assert release.status_code == 404
    extend = await api.patch(f"/v1/holds/{spent['hold_id']}", headers={**second.headers,
                                                                        "If-Match": spent["hold_token"]})
    assert extend.status_code == 404
    order_id = placed.json()["order_id"]
    assert (await api.get(f"/v1/orders/{order_id}", headers=second.headers)).status_code == 404
    assert (await api.get("/v1/orders", headers=second.headers)).json()["orders"] == []
    # Another email is another buyer.
    other = await guest(api, "bob@example.com")
    assert (await hold(api, other, show.show_id, show.seat_ids[4:8])).status_code == 201


async def test_postgresql_refuses_an_order_over_the_limit_when_redis_lost_count(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, resources: Resources,
    container: Container,
) -> None:
    show = await make_show_on_sale(seats=12, max_seats_per_buyer=LIMIT)
    buyer = await make_user()
    held = await hold(api, buyer, show.show_id, show.seat_ids[:3])
    assert (await order(api, buyer, held.json())).status_code == 201
    # A failover to a replica that missed the last writes: Redis forgets what the buyer ordered.
    ordered_key = container.seating.store.show_keys(show.show_id).ordered
    await resources.redis.delete(ordered_key)
    second = await hold(api, buyer, show.show_id, show.seat_ids[3:6])
    assert second.status_code == 201, second.text
    body = over_limit(await order(api, buyer, second.json()))
    assert (body["ordered"], body["requested"]) == (3, 3)
    # Nothing was reserved for the refused order.
    availability = (await api.get(f"/v1/shows/{show.show_id}/availability")).json()["seats"]
    codes = dict(zip(sorted(show.seat_ids), availability, strict=True))
    assert [codes[s] for s in show.seat_ids[3:6]] == ["h"] * 3


async def test_racing_holds_and_orders_of_one_buyer_never_end_above_the_limit(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, resources: Resources,
    service_urls: dict[str, str],
) -> None:
    show = await make_show_on_sale(seats=60, max_seats_per_buyer=LIMIT)
    buyer = await make_user()
    rng = random.Random(11)
    # Six tabs of the buyer's browser, each going hold → order three times: later holds race the
    # orders of earlier ones. Fewer tries than the buyer's budget of hold requests: the limit must
    # stop them, not the rate.
    tabs, rounds = 6, 3
    assert tabs * rounds < PLACE_HOLDS.capacity
    asks = [show.seat_ids[2 * i : 2 * i + rng.randint(1, 2)] for i in range(tabs * rounds)]

    async def tab(tries: list[list[str]]) -> int:
        got = 0
        for seats in tries:
            held = await hold(api, buyer, show.show_id, seats)
            if held.status_code != 201:
                assert held.status_code == 422, held.text
                continue
            placed = await order(api, buyer, held.json())
            assert placed.status_code in (201, 422), placed.text
            got += len(seats) if placed.status_code == 201 else 0
        return got

    ordered = sum(await asyncio.gather(*(tab(asks[i::tabs]) for i in range(tabs))))
    assert 0 < ordered <= LIMIT
    with psycopg.connect(service_urls["owner_dsn"]) as owner:
        reserved = owner.execute("SELECT count(*) FROM seating.show_seats WHERE show_id = %s AND status = 'reserved'",
                                 (show.show_id,)).fetchone()
        counted = owner.execute("SELECT places FROM seating.buyer_places WHERE show_id = %s AND buyer_key = %s",
                                (show.show_id, limit_key("user", buyer.user_id, buyer.email))).fetchone()
    assert reserved is not None and counted is not None
    assert reserved[0] == counted[0] == ordered
    availability = (await api.get(f"/v1/shows/{show.show_id}/availability")).json()["seats"]
    assert availability.count("r") == ordered and availability.count("h") <= LIMIT - ordered
    assert availability.count("h") + availability.count("r") <= LIMIT
