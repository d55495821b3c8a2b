"""The steps of a buyer's journey over HTTP, shared by the end-to-end tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from tests.fixtures.payments import SignedWebhook, StripeApp, stripe_event

# Litestar's test client (one request at a time) or seating's `api` client (truly concurrent).
Client = httpx.AsyncClient


class Buyer(Protocol):
    @property
    def headers(self) -> dict[str, str]: ...


async def hold(client: Client, buyer: Buyer, show_id: str, seat_ids: list[str],
               zones: dict[str, int] | None = None) -> httpx.Response:
    return await client.post(f"/v1/shows/{show_id}/holds", json={"seat_ids": seat_ids, "zones": zones or {}},
                             headers=buyer.headers)


async def order(client: Client, buyer: Buyer, held: dict[str, Any], *, key: str | None = None) -> httpx.Response:
    headers = {**buyer.headers, "Idempotency-Key": key or uuid.uuid4().hex}
    return await client.post("/v1/orders", json={"hold_id": held["hold_id"], "hold_token": held["hold_token"]},
                             headers=headers)


async def buy(client: Client, buyer: Buyer, show_id: str, seat_ids: list[str],
              zones: dict[str, int] | None = None) -> dict[str, Any]:
    """Hold then order; the order's JSON (awaiting payment)."""
    held = await hold(client, buyer, show_id, seat_ids, zones)
    assert held.status_code == 201, held.text
    placed = await order(client, buyer, held.json())
    assert placed.status_code == 201, placed.text
    return placed.json()  # type: ignore[no-any-return]


async def pay_on_stripe(stripe_app: StripeApp, signed_webhook: SignedWebhook, payment_intent_id: str) -> dict[str, Any]:
    """The app confirms the PaymentIntent on the emulator; Stripe's `payment_intent.succeeded` is then
    delivered to our webhook, signed as Stripe signs it. Returns the event."""
    pi = await stripe_app.pay(payment_intent_id)
    assert pi["status"] == "succeeded", pi
    event = stripe_event("payment_intent.succeeded", pi)
    response = await signed_webhook(event)
    assert response.status_code == 200, response.text
    return event


async def order_status(client: Client, buyer: Buyer, order_id: str) -> str:
    response = await client.get(f"/v1/orders/{order_id}", headers=buyer.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def paid(client: Client, buyer: Buyer, show_id: str, seat_ids: list[str], stripe_app: StripeApp,
               signed_webhook: SignedWebhook, zones: dict[str, int] | None = None) -> dict[str, Any]:
    """Hold, order and pay on the emulator, the webhook delivered; the order's JSON as placed (the
    worker has not yet processed Stripe's event)."""
    placed = await buy(client, buyer, show_id, seat_ids, zones)
    await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    return placed


async def many_paid(client_from: Callable[[str], Client], show_id: str, seat_ids: list[str],
                    buyers: list[Buyer], stripe_app: StripeApp, signed_webhook: SignedWebhook) -> list[dict[str, Any]]:
    """Each buyer pays for one seat of `seat_ids` (in order), each from an address of their own (the
    per-address limits), all at once; their orders' JSON, in the buyers' order."""
    return list(await asyncio.gather(*(
        paid(client_from(f"198.51.100.{i + 1}"), buyer, show_id, [seat_ids[i]], stripe_app, signed_webhook)
        for i, buyer in enumerate(buyers))))


async def tickets_of(client: Client, buyer: Buyer, order_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/orders/{order_id}/tickets", headers=buyer.headers)
    assert response.status_code == 200, response.text
    return response.json()["tickets"]  # type: ignore[no-any-return]
