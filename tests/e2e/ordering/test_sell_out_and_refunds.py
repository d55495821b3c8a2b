"""Many buyers racing for few seats all the way to paid, and operators refunding what was sold."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest

from tests.e2e.ordering.journey import buy, hold, order, order_status, pay_on_stripe
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.identity import MakeOperator, MakeUser, TestUser
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp
from tests.fixtures.seating import MakeBuyer, TestBuyer
from tests.timing import eventually

Client = httpx.AsyncClient


@pytest.mark.slow
async def test_a_sell_out_race_sells_every_seat_once_and_tickets_every_paid_order(
    api: httpx.AsyncClient, client: Client, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=12)
    buyers = [make_buyer() for _ in range(30)]
    paid_orders: list[tuple[TestBuyer, dict[str, Any]]] = []
    refused: list[list[str]] = []

    async def compete(buyer: TestBuyer) -> None:
        for attempt in range(8):
            codes = (await api.get(f"/v1/shows/{show.show_id}/availability")).json()["seats"]
            free = [seat for seat, code in zip(sorted(show.seat_ids), codes, strict=True) if code == "a"]
            if not free:
                return
            # Everyone's first pick comes from the seat map as it was when the sale opened.
            free = free if attempt else show.seat_ids
            wanted = random.sample(free, min(len(free), random.choice((1, 2))))
            held = await hold(api, buyer, show.show_id, wanted)
            if held.status_code == 409:
                refused.append(held.json()["conflicts"])
                continue
            assert held.status_code == 201, held.text
            placed = await order(api, buyer, held.json())
            assert placed.status_code == 201, placed.text
            await pay_on_stripe(stripe_app, signed_webhook, placed.json()["payment"]["payment_intent_id"])
            paid_orders.append((buyer, placed.json()))
            return

    await asyncio.gather(*(compete(b) for b in buyers))
    await worker.drain()

    ticketed: list[str] = []
    for buyer, placed in paid_orders:
        assert await order_status(api, buyer, placed["order_id"]) == "paid"
        tickets = (await api.get(f"/v1/orders/{placed['order_id']}/tickets", headers=buyer.headers)).json()
        assert sorted(t["seat_id"] for t in tickets["tickets"]) == sorted(
            line["seat_id"] for line in placed["lines"])
        ticketed += [t["seat_id"] for t in tickets["tickets"]]
    assert sorted(ticketed) == sorted(show.seat_ids)  # every seat sold, none twice
    assert refused, "the race should have produced conflicts"
    sales = (await client.get(f"/v1/admin/shows/{show.show_id}/sales", headers=show.operator.headers)).json()
    assert (sales["sold"], sales["capacity"], sales["available"], sales["reserved"]) == (12, 12, 0, 0)


async def _paid_order(client: Client, buyer: TestUser, show_id: str, seats: list[str], stripe_app: StripeApp,
                      signed_webhook: SignedWebhook, worker: TestWorker) -> dict[str, Any]:
    placed = await buy(client, buyer, show_id, seats)
    await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    await worker.drain()
    return placed


async def test_a_full_refund_voids_the_tickets_and_puts_the_seats_back_on_sale(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer, next_buyer = await make_user(), await make_user()
    placed = await _paid_order(client, buyer, show.show_id, show.seat_ids[:2], stripe_app, signed_webhook, worker)
    path = f"/v1/admin/orders/{placed['order_id']}/refund"
    refund = await client.post(path, json={"reason": "cannot attend"}, headers=show.operator.headers)
    assert refund.status_code == 202, refund.text
    assert refund.json()["status"] == "refund_pending" and refund.json()["refund_pending"] == placed["total"]
    again = await client.post(path, json={"reason": "cannot attend"}, headers=show.operator.headers)
    assert again.status_code == 202 and again.json()["refund_pending"] == placed["total"]  # not a second refund
    await worker.drain()  # the refund goes to Stripe, and Stripe's answer comes back

    async def refunded() -> bool:
        await worker.drain()
        return await order_status(client, buyer, placed["order_id"]) == "refunded"

    await eventually(refunded, within=15, what="the refund to settle")
    refunds = await stripe_app.refunds_of(placed["payment"]["payment_intent_id"])
    assert [r["amount"] for r in refunds] == [placed["total"]]
    tickets = (await client.get(f"/v1/orders/{placed['order_id']}/tickets", headers=buyer.headers)).json()
    assert {t["status"] for t in tickets["tickets"]} == {"void"}
    rehold = await hold(client, next_buyer, show.show_id, show.seat_ids[:2])
    assert rehold.status_code == 201, rehold.text
    sales = (await client.get(f"/v1/admin/shows/{show.show_id}/sales", headers=show.operator.headers)).json()
    assert sales["refunds"] == placed["total"] and sales["net_revenue"] == 0


async def test_partial_refunds_never_exceed_what_was_paid_and_keep_the_tickets(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    placed = await _paid_order(client, buyer, show.show_id, show.seat_ids[:2], stripe_app, signed_webhook, worker)
    path = f"/v1/admin/orders/{placed['order_id']}/refund"
    too_much = await client.post(path, json={"reason": "x", "amount": placed["total"] + 1},
                                 headers=show.operator.headers)
    assert too_much.status_code == 422 and "/amount" in too_much.text
    nonsense = await client.post(path, json={"reason": "", "amount": -5}, headers=show.operator.headers)
    assert nonsense.status_code == 422 and "/amount" in nonsense.text and "/reason" in nonsense.text
    part = await client.post(path, json={"reason": "goodwill", "amount": 1000}, headers=show.operator.headers)
    assert part.status_code == 202, part.text
    await worker.drain()
    tickets = (await client.get(f"/v1/orders/{placed['order_id']}/tickets", headers=buyer.headers)).json()
    assert {t["status"] for t in tickets["tickets"]} == {"valid"}


async def test_only_the_shows_organization_owners_and_managers_refund_and_read_reports(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, make_operator: MakeOperator,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    placed = await _paid_order(client, buyer, show.show_id, show.seat_ids[:1], stripe_app, signed_webhook, worker)
    stranger = await make_operator("owner")
    clerk = await make_operator("box_office", org_id=show.org_id)
    refund_path = f"/v1/admin/orders/{placed['order_id']}/refund"
    assert (await client.post(refund_path, json={"reason": "x"}, headers=stranger.headers)).status_code == 404
    assert (await client.post(refund_path, json={"reason": "x"}, headers=clerk.headers)).status_code == 403
    assert (await client.post(refund_path, json={"reason": "x"}, headers=buyer.headers)).status_code in (403, 422)
    sales_path = f"/v1/admin/shows/{show.show_id}/sales"
    assert (await client.get(sales_path, headers=stranger.headers)).status_code == 404
    assert (await client.get(f"/v1/admin/shows/{show.show_id}/attendees.csv", headers=clerk.headers)).is_success
    assert (await client.get(f"/v1/admin/shows/{show.show_id}/attendees.csv",
                             headers=stranger.headers)).status_code == 404
