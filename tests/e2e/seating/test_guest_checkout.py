"""Guest checkout: `POST /v1/auth/guest` hands out a short-lived buyer token, rate-limited per address."""

from __future__ import annotations

import httpx

from lml.config import Settings
from lml.identity.infrastructure.http import GUEST_SESSIONS_PER_ADDRESS
from lml.platform.tokens import TokenCodec

Client = httpx.AsyncClient


async def test_a_guest_gets_a_buyer_token_for_their_email(client: Client, settings: Settings) -> None:
    response = await client.post("/v1/auth/guest", json={"email": " Ada@Example.com ", "name": " Ada "})
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["email"], body["name"], body["token_type"]) == ("ada@example.com", "Ada", "Bearer")
    principal = TokenCodec(settings).verify(body["access_token"])
    assert (principal.kind, principal.subject, principal.email) == ("guest", body["guest_id"], "ada@example.com")
    assert principal.scopes == frozenset({"buyer"})
    assert 0 < body["expires_in"] <= 4 * 3600


async def test_two_guest_sessions_with_one_email_are_two_buyers(client: Client) -> None:
    first = (await client.post("/v1/auth/guest", json={"email": "ada@example.com", "name": "Ada"})).json()
    second = (await client.post("/v1/auth/guest", json={"email": "ada@example.com", "name": "Ada"})).json()
    assert first["guest_id"] != second["guest_id"]


async def test_a_bad_email_and_name_are_both_named(client: Client) -> None:
    response = await client.post("/v1/auth/guest", json={"email": "not-an-email", "name": ""})
    assert response.status_code == 422
    assert {e["path"] for e in response.json()["errors"]} == {"/email", "/name"}
    missing = await client.post("/v1/auth/guest", json={"name": "Ada"})
    assert missing.status_code == 422
    assert [e["path"] for e in missing.json()["errors"]] == ["/email"]


async def test_guest_sessions_are_rate_limited_per_address(client: Client) -> None:
    capacity = GUEST_SESSIONS_PER_ADDRESS.capacity
    answers = [await client.post("/v1/auth/guest", json={"email": f"g{i}@example.com", "name": "G"})
               for i in range(capacity + 1)]
    assert [a.status_code for a in answers] == [201] * capacity + [429]
    assert answers[0].headers["ratelimit-limit"] == str(capacity)
    assert answers[0].headers["ratelimit-remaining"] == str(capacity - 1)
    refused = answers[-1]
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-remaining"] == "0"
    assert int(refused.headers["ratelimit-reset"]) >= 1
    assert refused.json()["type"].endswith("/too-many-requests")
    # A token does not buy a fresh bucket: the address is the key.
    token = answers[0].json()["access_token"]
    again = await client.post("/v1/auth/guest", json={"email": "x@example.com", "name": "X"},
                              headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 429
