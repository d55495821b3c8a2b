"""The Stripe adapter against the Stripe emulator (localstripe), through the official SDK."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import msgspec
import pytest

from lml.config import Settings
from lml.container import Container
from lml.payments.domain.errors import PaymentProviderRejected, PaymentProviderUnavailable
from lml.payments.infrastructure.stripe_gateway import StripeGateway
from tests.fixtures.payments import DECLINED_CARD, StripeApp
from tests.services import free_port

GatewayOn = Callable[[Settings], StripeGateway]


@pytest.fixture
def gateway(container: Container) -> StripeGateway:
    """The process's Stripe client, as the composition root made it."""
    return container.payments.gateway


@pytest.fixture
async def gateway_on() -> AsyncIterator[GatewayOn]:
    """Stripe clients on other settings, closed after the test."""
    made: list[StripeGateway] = []

    def on(settings: Settings) -> StripeGateway:
        made.append(StripeGateway(settings))
        return made[-1]

    yield on
    for gateway in made:
        await gateway.close()


async def test_a_payment_intent_is_created_with_its_metadata_and_read_back(
    settings: Settings, gateway: StripeGateway
) -> None:
    order = str(uuid.uuid4())
    created = await gateway.create_payment_intent(amount=2599, currency="EUR", metadata={"order_id": order},
                                                  idempotency_key=order)
    assert (created.status, created.amount, created.currency, created.order_id) == (
        "requires_payment_method", 2599, "EUR", order)
    assert created.client_secret and created.client_secret.startswith(created.id)
    assert await gateway.retrieve_payment_intent(created.id) == created


async def test_a_paid_payment_intent_reads_as_succeeded_with_the_amount_received(
    settings: Settings, stripe_app: StripeApp, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment_intent(amount=1000, currency="usd", metadata={}, idempotency_key="k1")
    await stripe_app.pay(created.id)
    paid = await gateway.retrieve_payment_intent(created.id)
    assert (paid.status, paid.amount_received) == ("succeeded", 1000)
    assert paid.latest_charge_id and paid.latest_charge_id.startswith("ch_")


async def test_a_declined_card_leaves_the_payment_intent_awaiting_a_method_with_the_reason(
    settings: Settings, stripe_app: StripeApp, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment_intent(amount=1000, currency="usd", metadata={}, idempotency_key="k2")
    await stripe_app.pay(created.id, card=DECLINED_CARD)
    failed = await gateway.retrieve_payment_intent(created.id)
    assert (failed.status, failed.failure_reason) == ("requires_payment_method", "Your card was declined.")


async def test_cancel_then_cancel_again_is_refused_by_stripe(settings: Settings, gateway: StripeGateway) -> None:
    created = await gateway.create_payment_intent(amount=1000, currency="usd", metadata={}, idempotency_key="k3")
    assert (await gateway.cancel_payment_intent(created.id)).status == "canceled"
    with pytest.raises(PaymentProviderRejected):
        await gateway.cancel_payment_intent(created.id)


async def test_refunds_are_made_and_listed_with_their_metadata(
    settings: Settings, stripe_app: StripeApp, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment_intent(amount=3000, currency="usd", metadata={}, idempotency_key="k4")
    await stripe_app.pay(created.id)
    refund = await gateway.create_refund(payment_intent_id=created.id, amount=1000,
                                         metadata={"refund_id": "r-1"}, idempotency_key="refund:o:1")
    assert (refund.status, refund.amount, refund.currency, refund.payment_intent_id) == (
        "succeeded", 1000, "USD", created.id)
    assert [r.metadata for r in await gateway.list_refunds(created.id)] == [{"refund_id": "r-1"}]


async def test_stripe_unreachable_is_payment_provider_unavailable(settings: Settings, gateway_on: GatewayOn) -> None:
    down = gateway_on(msgspec.structs.replace(settings, stripe_api_base=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(PaymentProviderUnavailable) as caught:
        await down.retrieve_payment_intent("pi_123")
    assert caught.value.retry_after > 0


async def test_a_wrong_secret_key_is_unavailable_not_the_callers_fault(
    settings: Settings, gateway_on: GatewayOn
) -> None:
    wrong_key = gateway_on(Settings(stripe_api_base=settings.stripe_api_base, stripe_secret_key="nope"))
    with pytest.raises(PaymentProviderUnavailable, match="credentials"):
        await wrong_key.retrieve_payment_intent("pi_123")



async def test_a_payment_intent_goes_to_stripe_under_its_idempotency_key_with_its_fields(
    settings: Settings, gateway_on: GatewayOn
) -> None:
    """What reaches the wire (the emulator ignores idempotency keys): a server of our own answers."""
    received: list[tuple[bytes, bytes]] = []
    answer = msgspec.json.encode({"id": "pi_1", "object": "payment_intent", "status": "requires_payment_method",
                                  "amount": 1500, "currency": "eur", "metadata": {"order_id": "o"},
                                  "client_secret": "pi_1_secret"})

    async def stripe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
                      if line.startswith(b"content-length:"))
        received.append((head, await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(answer), answer))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(stripe, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        gateway = gateway_on(msgspec.structs.replace(settings, stripe_api_base=f"http://127.0.0.1:{port}"))
        created = await gateway.create_payment_intent(amount=1500, currency="EUR", metadata={"order_id": "o"},
                                                      idempotency_key="order-1")
    assert (created.id, created.amount, created.currency, created.client_secret) == ("pi_1", 1500, "EUR",
                                                                                      "pi_1_secret")
    [(head, body)] = received
    assert head.startswith(b"POST /v1/payment_intents HTTP/1.1")
    assert b"\r\nidempotency-key: order-1\r\n" in head.lower()
    assert sorted(body.split(b"&")) == [b"amount=1500", b"currency=eur", b"metadata[order_id]=o"]
