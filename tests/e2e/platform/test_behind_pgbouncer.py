"""A buyer's whole journey with `lml serve` and `lml worker` reaching PostgreSQL through PgBouncer in
transaction pooling mode only: account, hold, order, payment on the Stripe emulator, Stripe's webhooks
applied by the worker, tickets, a cancelled order, and an operator's refund."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from lml.config import Settings
from tests.e2e.identity.api import password_grant, register
from tests.e2e.ordering.journey import hold, order
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.payments import WEBHOOK_PATH, StripeApp
from tests.fixtures.processes import process, serving
from tests.timing import eventually


class Buyer:
    """A buyer signed in through the served API."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


async def test_a_buyer_pays_cancels_and_is_refunded_with_the_processes_behind_pgbouncer(
    settings_behind_pgbouncer: Settings, make_show_on_sale: MakeShowOnSale, stripe_app: StripeApp, tmp_path: Path,
) -> None:
    settings = settings_behind_pgbouncer
    show = await make_show_on_sale(seats=10)
    with process(["worker", "--threads", "2"], settings, tmp_path / "worker.log") as worker:
        async with serving(settings, tmp_path / "serve.log") as port, httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=15
        ) as api:
            await stripe_app.send_webhooks_to(f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
                                              settings.stripe_webhook_secrets[0])
            assert (await register(api, "ada@example.com")).status_code == 201
            tokens = await password_grant(api, "ada@example.com")
            assert tokens.status_code == 200, tokens.text
            buyer = Buyer({"Authorization": f"Bearer {tokens.json()['access_token']}"})

            async def status_of(order_id: str) -> str:
                answer = await api.get(f"/v1/orders/{order_id}", headers=buyer.headers)
                assert answer.status_code == 200, answer.text
                return str(answer.json()["status"])

            async def tickets_of(order_id: str) -> set[str]:
                answer = await api.get(f"/v1/orders/{order_id}/tickets", headers=buyer.headers)
                assert answer.status_code == 200, answer.text
                return {ticket["status"] for ticket in answer.json()["tickets"]}

            assert (await api.get(f"/v1/shows/{show.show_id}/seatmap")).status_code == 200
            held = await hold(api, buyer, show.show_id, show.seat_ids[:2])
            assert held.status_code == 201, held.text
            placed = await order(api, buyer, held.json())
            assert placed.status_code == 201, placed.text
            paid_id = placed.json()["order_id"]
            assert (await stripe_app.pay(placed.json()["payment"]["payment_intent_id"]))["status"] == "succeeded"

            async def paid() -> bool:
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                return await status_of(paid_id) == "paid"

            await eventually(paid, within=30, what="the worker applying Stripe's payment_intent.succeeded")
            assert await tickets_of(paid_id) == {"valid"}

            # A second order, cancelled before payment: its seat is on sale again at once.
            held = await hold(api, buyer, show.show_id, show.seat_ids[2:3])
            placed = await order(api, buyer, held.json())
            assert placed.status_code == 201, placed.text
            cancelled = await api.post(f"/v1/orders/{placed.json()['order_id']}/cancel", headers=buyer.headers)
            assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled"), cancelled.text
            again = await hold(api, buyer, show.show_id, show.seat_ids[2:3])
            assert again.status_code == 201, again.text

            refund = await api.post(f"/v1/admin/orders/{paid_id}/refund", json={"reason": "show moved"},
                                    headers={**show.operator.headers, "Idempotency-Key": str(uuid.uuid4())})
            assert refund.status_code == 202, refund.text

            async def refunded() -> bool:
                return await status_of(paid_id) == "refunded"

            await eventually(refunded, within=30, what="the worker refunding on Stripe")
            assert await tickets_of(paid_id) == {"void"}

    for log in ("serve.log", "worker.log"):
        text = (tmp_path / log).read_text()
        assert "Traceback" not in text and "prepared statement" not in text, text
