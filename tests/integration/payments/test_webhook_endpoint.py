"""POST /v1/payments/stripe/webhook: signature on the raw body, stored once, answered at once."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lml.app import create_app
from lml.config import Settings
from lml.platform.resources import Resources
from tests.fixtures.payments import (
    WEBHOOK_PATH,
    SignedWebhook,
    payment_intent_object,
    stripe_event,
    stripe_signature,
)


async def _stored(resources: Resources) -> list[dict[str, Any]]:
    async with resources.db.unit_of_work() as uow:
        cur = await uow.conn.execute(
            "SELECT event_id, event_type, source, status, note, payload, stripe_created_at"
            " FROM payments.stripe_events ORDER BY seq"
        )
        return await cur.fetchall()


def _succeeded() -> dict[str, Any]:
    return stripe_event("payment_intent.succeeded", payment_intent_object(order_id=str(uuid.uuid4())))


async def test_a_signed_event_is_stored_pending_and_acknowledged(
    signed_webhook: SignedWebhook, resources: Resources
) -> None:
    event = _succeeded()
    response = await signed_webhook(event)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    [row] = await _stored(resources)
    assert (row["event_id"], row["event_type"], row["source"], row["status"]) == (
        event["id"], "payment_intent.succeeded", "webhook", "pending")
    assert int(row["stripe_created_at"].timestamp()) == event["created"]


async def test_the_client_secret_in_the_event_is_not_kept(signed_webhook: SignedWebhook, resources: Resources) -> None:
    event = _succeeded()
    await signed_webhook(event)
    [row] = await _stored(resources)
    assert "client_secret" not in row["payload"]["data"]["object"]
    assert row["payload"]["data"]["object"]["metadata"] == event["data"]["object"]["metadata"]


async def test_the_same_event_ten_times_is_stored_once_and_every_delivery_acknowledged(
    signed_webhook: SignedWebhook, resources: Resources
) -> None:
    event = _succeeded()
    responses = [await signed_webhook(event) for _ in range(10)]
    assert [r.status_code for r in responses] == [200] * 10
    assert [r.json()["duplicate"] for r in responses] == [False] + [True] * 9
    assert len(await _stored(resources)) == 1


@pytest.mark.parametrize(
    ("describe", "sign"),
    [
        ("another secret", lambda body: stripe_signature(body, "whsec_not_ours")),
        ("expired beyond 300 s", lambda body: stripe_signature(body, "whsec_test_lml", int(time.time()) - 301)),
        ("a body changed after signing", lambda body: stripe_signature(body.replace(b"evt_", b"evt_x"),
                                                                       "whsec_test_lml")),
        ("garbage", lambda body: "t=abc,v1="),
    ],
)
async def test_a_bad_signature_is_a_400_problem_and_nothing_is_stored(
    signed_webhook: SignedWebhook, resources: Resources, describe: str, sign: Any
) -> None:
    body = json.dumps(_succeeded()).encode()
    response = await signed_webhook(body, signature=sign(body))
    assert response.status_code == 400, describe
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"].endswith("/invalid-webhook-signature")
    assert problem["instance"] == WEBHOOK_PATH
    assert await _stored(resources) == []


async def test_a_missing_signature_is_a_400_problem_and_nothing_is_stored(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    response = await client.post(WEBHOOK_PATH, content=json.dumps(_succeeded()).encode())
    assert response.status_code == 400
    assert response.json()["detail"] == "The Stripe-Signature header is missing"
    assert await _stored(resources) == []


async def test_a_signed_body_that_is_not_an_event_is_a_400_problem(
    signed_webhook: SignedWebhook, resources: Resources
) -> None:
    response = await signed_webhook(b'{"hello": "world"}')
    assert response.status_code == 400
    assert response.json()["type"].endswith("/malformed-webhook-event")
    assert await _stored(resources) == []


async def test_an_unknown_event_type_is_stored_as_ignored(signed_webhook: SignedWebhook, resources: Resources) -> None:
    response = await signed_webhook(stripe_event("invoice.paid", {"id": "in_1", "object": "invoice"}))
    assert response.status_code == 200
    [row] = await _stored(resources)
    assert (row["status"], row["note"]) == ("ignored", "invoice.paid events are not handled")


@pytest.fixture
async def rotating_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The API while the webhook secret is rotated: the new secret and the old one both configured."""
    rotating = msgspec.structs.replace(settings, stripe_webhook_secret="whsec_new, whsec_old")
    async with AsyncTestClient(app=create_app(rotating), base_url="http://testserver.local") as client:
        yield client


async def test_during_a_secret_rotation_events_signed_with_either_secret_are_accepted(
    rotating_client: httpx.AsyncClient, resources: Resources
) -> None:
    statuses = []
    for secret in ("whsec_old", "whsec_new", "whsec_test_lml"):
        body = json.dumps(_succeeded()).encode()
        response = await rotating_client.post(WEBHOOK_PATH, content=body,
                                              headers={"Stripe-Signature": stripe_signature(body, secret)})
        statuses.append(response.status_code)
    assert statuses == [200, 200, 400]
    assert len(await _stored(resources)) == 2


async def test_the_webhook_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "post" in paths[WEBHOOK_PATH]
    assert "get" in paths["/v1/admin/payments/events"]
