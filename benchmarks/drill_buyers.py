"""The fault drill's buyers: each holds a free seat, orders it and pays, as the apps do, through whatever
the drill breaks meanwhile. A 503 is waited out as its `Retry-After` says (capped) and the same request
sent again (an order with the same Idempotency-Key, a webhook with the same event, as Stripe retries
it); a hold lost with its Redis node means starting over; an order whose outcome stayed unknown is
found again in the buyer's own orders and paid. Every answer is recorded: when, which route, what
status, whether a 503 said when to come back, how long it took."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import httpx

# Seat codes of GET /v1/shows/{id}/availability: free, and held (may come free again).
FREE, HELD = "a", "h"


class Answer(NamedTuple):
    at: float  # seconds since the sale opened
    kind: str  # the route: availability, hold, order, orders, payment, release, webhook
    status: int  # 0: no answer
    retry_after: bool  # the answer said when to come back
    took: float  # seconds from sending to the answer


@dataclass
class Sale:
    """What every buyer shares: the show, its seats in availability order, the clock of the drill."""

    show_id: str
    seat_ids: list[str]
    webhook_secret: str
    retry_cap: float
    opened: float = field(default_factory=time.monotonic)
    answers: list[Answer] = field(default_factory=list)
    paid: int = 0
    gave_up: int = 0
    stuck: list[str] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.opened


class Stuck(Exception):
    """An answer the buyer cannot go on from (recorded; the report lists the first few)."""


async def call(
    sale: Sale, kind: str, send: Callable[[], Awaitable[httpx.Response]], *, patience: float = 180
) -> httpx.Response:
    """Send (again and again while the answer is 503 or 429, waiting as `Retry-After` says, capped, for
    at most `patience` seconds), recording every answer."""
    deadline = time.monotonic() + patience
    while True:
        sent = time.monotonic()
        try:
            response = await send()
        except httpx.TransportError as exc:
            sale.answers.append(Answer(sale.now(), kind, 0, False, time.monotonic() - sent))
            if time.monotonic() > deadline:
                raise Stuck(f"{kind}: {type(exc).__name__}") from exc
            await asyncio.sleep(sale.retry_cap)
            continue
        retry_after = response.headers.get("Retry-After")
        sale.answers.append(Answer(sale.now(), kind, response.status_code, retry_after is not None,
                                   time.monotonic() - sent))
        if response.status_code not in (429, 503) or time.monotonic() > deadline:
            return response
        wait = float(retry_after) if retry_after and retry_after.isdigit() else sale.retry_cap
        await asyncio.sleep(min(wait, sale.retry_cap) * random.uniform(0.5, 1.0))


def _signed(body: bytes, secret: str) -> str:
    t = int(time.time())
    return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"


class Buyer:
    def __init__(self, sale: Sale, api: httpx.AsyncClient, stripe: httpx.AsyncClient, token: str) -> None:
        self.sale, self.api, self.stripe = sale, api, stripe
        self.headers = {"Authorization": f"Bearer {token}"}

    async def buy(self, *, tries: int = 8) -> None:
        sale = self.sale
        for _ in range(tries):
            seats = await self._seats()
            free = [i for i, code in enumerate(seats) if code == FREE]
            if not free:
                if HELD not in seats:
                    sale.gave_up += 1
                    return
                # Held seats come free again when their buyers give them up: look again shortly.
                await asyncio.sleep(sale.retry_cap)
                continue
            seat = sale.seat_ids[random.choice(free)]
            held = await call(sale, "hold", partial(
                self.api.post, f"/v1/shows/{sale.show_id}/holds", headers=self.headers,
                json={"seat_ids": [seat], "zones": {}}))
            if held.status_code == 409:
                continue
            if held.status_code != 201:
                raise Stuck(f"hold {held.status_code} {held.text[:200]}")
            if await self._order_and_pay(held.json()):
                return
        sale.gave_up += 1

    async def _seats(self) -> str:
        answer = await call(self.sale, "availability",
                            lambda: self.api.get(f"/v1/shows/{self.sale.show_id}/availability"))
        if answer.status_code != 200:
            raise Stuck(f"availability {answer.status_code} {answer.text[:200]}")
        return str(answer.json()["seats"])

    async def _order_and_pay(self, hold: dict[str, Any]) -> bool:
        """Whether the buyer got their order paid; False when the hold was gone (start over)."""
        key = uuid.uuid4().hex
        placed = await call(self.sale, "order", lambda: self.api.post(
            "/v1/orders", json={"hold_id": hold["hold_id"], "hold_token": hold["hold_token"]},
            headers={**self.headers, "Idempotency-Key": key}))
        if placed.status_code == 201:
            await self._pay(placed.json())
            return True
        # Refused (the hold died with its node, or expired) or unknown (a 503 that outlasted patience,
        # a request still in flight): an order may exist all the same. The app looks at its orders.
        pending = await call(self.sale, "orders", lambda: self.api.get(
            "/v1/orders", params={"status": "pending_payment"}, headers=self.headers))
        if pending.status_code != 200:
            raise Stuck(f"orders {pending.status_code} {pending.text[:200]}")
        if orders := pending.json()["orders"]:
            await self._pay(orders[0])
            return True
        if placed.status_code in (404, 409, 410, 412):
            await call(self.sale, "release", lambda: self.api.delete(
                f"/v1/holds/{hold['hold_id']}", headers={**self.headers, "If-Match": hold["hold_token"]}))
            return False
        raise Stuck(f"order {placed.status_code} {placed.text[:200]}")

    async def _pay(self, order: dict[str, Any]) -> None:
        """As the app: a card on the PaymentIntent, confirmed; then Stripe's event to our webhook."""
        payment = order.get("payment")
        if payment is None:
            answer = await call(self.sale, "payment", lambda: self.api.post(
                f"/v1/orders/{order['order_id']}/payment", headers=self.headers))
            if answer.status_code != 200 or answer.json()["payment"] is None:
                raise Stuck(f"payment {answer.status_code} {answer.text[:200]}")
            payment = answer.json()["payment"]
        pi_id = payment["payment_intent_id"]
        method = (await self.stripe.post("/v1/payment_methods", data={
            "type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034",
            "card[cvc]": "123"})).json()
        await self.stripe.post(f"/v1/payment_intents/{pi_id}", data={"payment_method": method["id"]})
        pi = (await self.stripe.post(f"/v1/payment_intents/{pi_id}/confirm")).json()
        body = json.dumps({"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "created": int(time.time()),
                           "type": "payment_intent.succeeded", "data": {"object": pi}, "livemode": False}).encode()
        answer = await call(self.sale, "webhook", lambda: self.api.post(
            "/v1/payments/stripe/webhook", content=body,
            headers={"Stripe-Signature": _signed(body, self.sale.webhook_secret), "Content-Type": "application/json"}))
        if not answer.is_success:
            raise Stuck(f"webhook {answer.status_code} {answer.text[:200]}")
        self.sale.paid += 1
