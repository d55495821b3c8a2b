"""Operators refunding one order many times at once while the worker settles earlier refunds:
at the end the order, its tickets and Stripe agree, to the minor unit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from lml.ordering.domain.order import allocate
from tests.e2e.ordering.journey import buy, pay_on_stripe
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.identity import MakeUser, TestUser
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp


async def _paid_order(api: httpx.AsyncClient, buyer: TestUser, show_id: str, seats: list[str],
                      stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker) -> dict[str, Any]:
    placed = await buy(api, buyer, show_id, seats)
    await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    await worker.drain()
    return placed


async def _order(api: httpx.AsyncClient, buyer: TestUser, order_id: str) -> dict[str, Any]:
    response = await api.get(f"/v1/orders/{order_id}", headers=buyer.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.slow
async def test_concurrent_partial_refunds_and_settlements_end_where_stripe_is(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    placed = await _paid_order(api, buyer, show.show_id, show.seat_ids[:2], stripe_app, signed_webhook, worker)
    path = f"/v1/admin/orders/{placed['order_id']}/refund"
    amounts = allocate(placed["total"], [1] * 16)
    answers: list[int] = []
    requesting = True

    async def refund(amount: int) -> None:
        response = await api.post(path, json={"reason": "part of the order", "amount": amount},
                                  headers=show.operator.headers)
        answers.append(response.status_code)

    async def settle() -> None:
        # The worker, sending each refund to Stripe and recording Stripe's answer, while operators ask.
        while requesting:
            await worker.relay_outbox()
            await asyncio.sleep(0)

    settler = asyncio.create_task(settle())
    await asyncio.gather(*(refund(amount) for amount in amounts))
    requesting = False
    await settler
    await worker.drain()

    assert answers == [202] * len(amounts)
    stripe_refunded = sum(r["amount"] for r in await stripe_app.refunds_of(placed["payment"]["payment_intent_id"])
                          if r["status"] == "succeeded")
    order = await _order(api, buyer, placed["order_id"])
    assert stripe_refunded == placed["total"]
    assert (order["status"], order["amount_refunded"], order["refund_pending"]) == ("refunded", placed["total"], 0)
    tickets = (await api.get(f"/v1/orders/{placed['order_id']}/tickets", headers=buyer.headers)).json()["tickets"]
    assert {t["status"] for t in tickets} == {"void"}
    attendees = await api.get(f"/v1/admin/shows/{show.show_id}/attendees.csv", headers=show.operator.headers)
    assert placed["order_id"] not in attendees.text


@pytest.mark.slow
async def test_identical_full_refunds_at_once_answer_like_the_first(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    placed = await _paid_order(api, buyer, show.show_id, show.seat_ids[:2], stripe_app, signed_webhook, worker)
    path = f"/v1/admin/orders/{placed['order_id']}/refund"
    # A first partial refund settles while the full ones arrive: what is "left" moves under them.
    first = await api.post(path, json={"reason": "first", "amount": 1000}, headers=show.operator.headers)
    assert first.status_code == 202, first.text
    settling = asyncio.create_task(worker.relay_outbox())
    answers = await asyncio.gather(*(
        api.post(path, json={"reason": "show moved"}, headers=show.operator.headers) for _ in range(8)))
    await settling
    await worker.drain()

    assert [a.status_code for a in answers] == [202] * 8, [a.text for a in answers]
    full = [r for r in answers[0].json()["refunds"] if r["reason"] == "show moved"]
    assert len(full) == 1 and full[0]["amount"] == placed["total"] - 1000
    assert all(a.json()["refunds"][-1]["refund_id"] == full[0]["refund_id"] for a in answers)
    refunds = await stripe_app.refunds_of(placed["payment"]["payment_intent_id"])
    assert sorted(r["amount"] for r in refunds) == sorted([1000, placed["total"] - 1000])
    assert (await _order(api, buyer, placed["order_id"]))["status"] == "refunded"
