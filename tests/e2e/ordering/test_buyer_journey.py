"""The buyer's whole journey over HTTP with the Stripe emulator and the worker, and what the operator
sees of it afterwards."""

from __future__ import annotations

import csv
import io

import httpx

from lml.config import Settings
from lml.ordering.domain.tickets import verify
from tests.e2e.ordering.journey import buy, hold, order, order_status
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.identity import MakeUser
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import StripeApp
from tests.fixtures.seating import MakeBuyer, place_hold
from tests.timing import TestClock, eventually

Client = httpx.AsyncClient


async def test_a_buyer_goes_from_the_seat_map_to_tickets_and_the_operator_sees_the_sale(
    client: Client, settings: Settings, make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
    stripe_app: StripeApp, stripe_webhooks_to_live_api: None, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=12, zones={"floor": 50})
    buyer = await make_user()

    # Browse: the show, its seat map and its availability.
    assert (await client.get(f"/v1/shows/{show.show_id}")).status_code == 200
    assert (await client.get(f"/v1/shows/{show.show_id}/seatmap")).status_code == 200
    assert (await client.get(f"/v1/shows/{show.show_id}/availability")).status_code == 200

    # Hold two seats and two standing places, then order them.
    seats = show.seat_ids[:2]
    held = await hold(client, buyer, show.show_id, seats, {"floor": 2})
    assert held.status_code == 201, held.text
    placed = await order(client, buyer, held.json())
    assert placed.status_code == 201, placed.text
    body = placed.json()
    prices = [show.tier_prices[show.seat_tiers[s]] for s in seats] + [show.tier_prices["ga"]] * 2
    assert body["status"] == "pending_payment" and body["currency"] == "USD" and body["total"] == sum(prices)
    assert sorted(line["seat_id"] for line in body["lines"] if line["seat_id"]) == sorted(seats)
    assert body["payment"]["provider"] == "stripe" and body["payment"]["client_secret"]
    order_id, pi_id = body["order_id"], body["payment"]["payment_intent_id"]

    # The app confirms the PaymentIntent on Stripe; Stripe calls our webhook; the worker applies it.
    assert (await stripe_app.pay(pi_id))["status"] == "succeeded"

    async def paid() -> bool:
        await worker.drain()
        return await order_status(client, buyer, order_id) == "paid"

    await eventually(paid, within=20, what="the order to be paid through Stripe's webhook")

    tickets = (await client.get(f"/v1/orders/{order_id}/tickets", headers=buyer.headers)).json()["tickets"]
    assert len(tickets) == 4 and {t["status"] for t in tickets} == {"valid"}
    key = settings.ticket_signing_key.encode()
    assert {verify(t["qr_payload"], key).c for t in tickets} == {t["code"] for t in tickets}
    assert sorted(verify(t["qr_payload"], key).seat for t in tickets if t["seat_id"]) == sorted(seats)

    availability = (await client.get(f"/v1/shows/{show.show_id}/availability")).json()
    assert availability["zones"][0]["remaining"] == 48

    browsing = await make_user()  # someone else is holding a seat right now
    assert (await hold(client, browsing, show.show_id, show.seat_ids[5:6])).status_code == 201
    sales = await client.get(f"/v1/admin/shows/{show.show_id}/sales", headers=show.operator.headers)
    assert sales.status_code == 200, sales.text
    report = sales.json()
    assert (report["capacity"], report["sold"], report["reserved"], report["held"], report["available"]) == (
        62, 4, 0, 1, 57)
    assert report["revenue"] == sum(prices) and report["refunds"] == 0 and report["currency"] == "USD"
    by_tier = {tier["tier_id"]: tier for tier in report["tiers"]}
    assert by_tier["ga"]["sold"] == 2 and by_tier["ga"]["revenue"] == 2 * show.tier_prices["ga"]
    assert sum(tier["revenue"] for tier in report["tiers"]) == report["revenue"]

    export = await client.get(f"/v1/admin/shows/{show.show_id}/attendees.csv", headers=show.operator.headers)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0][:3] == ["order_id", "buyer_name", "buyer_email"]
    assert len(rows) == 5 and {r[0] for r in rows[1:]} == {order_id}
    assert {r[2] for r in rows[1:]} == {buyer.email}
    assert {r[1] for r in rows[1:]} == {buyer.name}


async def test_the_same_idempotency_key_answers_the_stored_order_and_no_key_names_it(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    held = (await hold(client, buyer, show.show_id, show.seat_ids[:1])).json()
    first = await order(client, buyer, held, key="order-1")
    again = await order(client, buyer, held, key="order-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    other_key = await order(client, buyer, held, key="order-2")
    assert other_key.status_code == 409, other_key.text
    assert other_key.json()["order_id"] == first.json()["order_id"]
    listed = (await client.get("/v1/orders", headers=buyer.headers)).json()["orders"]
    assert [o["order_id"] for o in listed] == [first.json()["order_id"]]


async def test_bad_holds_get_clear_problems_and_nothing_is_written(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
) -> None:
    show = await make_show_on_sale(seats=4)
    ann, bob = await make_user(), await make_user()
    held = (await hold(client, ann, show.show_id, show.seat_ids[:1])).json()
    cases = [
        (ann, {"hold_id": held["hold_id"], "hold_token": "not-the-token"}),
        (bob, {"hold_id": held["hold_id"], "hold_token": held["hold_token"]}),
        (ann, {"hold_id": "no-such-hold", "hold_token": held["hold_token"]}),
    ]
    for buyer, body in cases:
        response = await client.post("/v1/orders", json=body, headers=buyer.headers)
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/problem+json"
    malformed = await client.post("/v1/orders", json={"hold_id": held["hold_id"]}, headers=ann.headers)
    assert malformed.status_code == 422 and "/hold_token" in malformed.text
    anonymous = await client.post("/v1/orders", json={"hold_id": "x", "hold_token": "y"})
    assert anonymous.status_code == 401
    for buyer in (ann, bob):
        assert (await client.get("/v1/orders", headers=buyer.headers)).json()["orders"] == []
    # The hold is untouched: its owner can still order it.
    assert (await order(client, ann, held)).status_code == 201


async def test_buyers_see_only_their_own_orders(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
) -> None:
    show = await make_show_on_sale(seats=4)
    ann, bob = await make_user(), await make_user()
    placed = await buy(client, ann, show.show_id, show.seat_ids[:1])
    for path in ("", "/tickets"):
        response = await client.get(f"/v1/orders/{placed['order_id']}{path}", headers=bob.headers)
        assert response.status_code == 404
    assert (await client.post(f"/v1/orders/{placed['order_id']}/cancel", headers=bob.headers)).status_code == 404
    assert (await client.get("/v1/orders", headers=bob.headers)).json()["orders"] == []


async def test_cancelling_an_unpaid_order_frees_its_seats_at_once(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, worker: TestWorker,
    stripe_app: StripeApp,
) -> None:
    show = await make_show_on_sale(seats=4)
    ann, bob = await make_user(), await make_user()
    placed = await buy(client, ann, show.show_id, show.seat_ids[:2])
    cancelled = await client.post(f"/v1/orders/{placed['order_id']}/cancel", headers=ann.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    # Another buyer can hold the same seats right away (Redis followed the release).
    assert (await hold(client, bob, show.show_id, show.seat_ids[:2])).status_code == 201
    await worker.drain()  # the outbox cancels the PaymentIntent
    pi = await stripe_app.payment_intent(placed["payment"]["payment_intent_id"])
    assert pi["status"] == "canceled"


async def test_malformed_order_ids_and_list_parameters_get_clear_problems(client: Client, make_user: MakeUser) -> None:
    buyer = await make_user()
    assert (await client.get("/v1/orders/not-an-order", headers=buyer.headers)).status_code == 404
    unknown = await client.get("/v1/orders/0190a0b0-0000-7000-8000-000000000001", headers=buyer.headers)
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    for query, field in (("limit=0", "/limit"), ("limit=1000", "/limit"), ("cursor=zzz", "/cursor")):
        response = await client.get(f"/v1/orders?{query}", headers=buyer.headers)
        assert response.status_code == 422 and field in response.text, response.text


async def test_the_order_list_filters_by_status_page_by_page(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    placed = [await buy(client, buyer, show.show_id, [seat]) for seat in show.seat_ids[:3]]
    cancelled = await client.post(f"/v1/orders/{placed[1]['order_id']}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text

    async def listed(query: str) -> list[str]:
        """Every order id the list answers for `query`, one order a page, following the cursors."""
        ids: list[str] = []
        cursor = ""
        while True:
            page = await client.get(f"/v1/orders?limit=1&{query}{cursor}", headers=buyer.headers)
            assert page.status_code == 200, page.text
            ids += [o["order_id"] for o in page.json()["orders"]]
            if page.json()["next_cursor"] is None:
                return ids
            cursor = f"&cursor={page.json()['next_cursor']}"

    newest_first = [o["order_id"] for o in reversed(placed)]
    assert await listed("status=pending_payment") == [newest_first[0], newest_first[2]]
    assert await listed("status=cancelled") == [placed[1]["order_id"]]
    assert await listed("status=paid") == []
    assert await listed("") == newest_first
    unknown = await client.get("/v1/orders?status=shipped", headers=buyer.headers)
    assert unknown.status_code == 422 and unknown.headers["content-type"] == "application/problem+json"
    assert [e["path"] for e in unknown.json()["errors"]] == ["/status"], unknown.text


async def test_an_expired_hold_cannot_be_ordered_and_nothing_is_written(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, hold_clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4, hold_seconds=60)
    buyer = make_buyer()
    held = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:1])
    hold_clock.advance(milliseconds=61_000)
    response = await api.post("/v1/orders", json={"hold_id": held.hold_id, "hold_token": held.hold_token},
                              headers=buyer.headers)
    assert response.status_code == 404 and response.json()["type"].endswith("/hold-not-found"), response.text
    assert (await api.get("/v1/orders", headers=buyer.headers)).json()["orders"] == []


async def test_an_order_body_gets_every_problem_named_at_once(client: Client, make_user: MakeUser) -> None:
    buyer = await make_user()
    response = await client.post("/v1/orders", json={"hold_id": "", "hold_token": "x" * 201, "extra": 1},
                                 headers=buyer.headers)
    assert response.status_code == 422, response.text
    paths = {error["path"] for error in response.json()["errors"]}
    assert paths == {"/hold_id", "/hold_token", "/extra"}
