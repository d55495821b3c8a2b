"""`rate_limited` route middleware on a real Redis: headers on every answer, 429 past the budget,
buckets per principal (or per address for anonymous callers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from litestar import Litestar, get

from lml.container import Container
from lml.platform.domain.errors import Conflict
from lml.platform.domain.principal import Principal
from lml.platform.http.problems import exception_handlers
from lml.platform.http.rate_limits import rate_limited
from lml.platform.rate_limit import RateLimit
from lml.platform.resources import Resources
from tests.fixtures.http import served_like_the_service

BUDGET = RateLimit(capacity=3, refill_per_second=0.01)


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    @get("/ok", middleware=[rate_limited("test:ok", BUDGET)])
    async def ok() -> dict[str, str]:
        return {"ok": "yes"}

    @get("/conflict", middleware=[rate_limited("test:conflict", BUDGET)])
    async def conflict() -> None:
        raise Conflict("always")

    app = served_like_the_service(Litestar(route_handlers=[ok, conflict], exception_handlers=exception_handlers()),
                                  container)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t.local") as client:
        yield client


def bearer(resources: Resources, subject: str) -> dict[str, str]:
    token = resources.tokens.issue(Principal(subject, "user", frozenset({"buyer"})), datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.redis_cluster
async def test_every_answer_counts_down_and_the_one_past_the_budget_is_429(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    answers = [await client.get("/ok", headers=bearer(resources, "ann")) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["ratelimit-limit"] for a in answers} == {"3"}
    refused = answers[-1]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["status"] == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 100
    assert int(refused.headers["ratelimit-reset"]) >= int(refused.headers["retry-after"])


async def test_error_answers_carry_the_headers_too(client: httpx.AsyncClient, resources: Resources) -> None:
    answer = await client.get("/conflict", headers=bearer(resources, "ann"))
    assert answer.status_code == 409
    assert answer.headers["ratelimit-remaining"] == "2"


async def test_buckets_are_per_principal_and_per_address_for_anonymous_callers(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    for _ in range(3):
        await client.get("/ok", headers=bearer(resources, "ann"))
    assert (await client.get("/ok", headers=bearer(resources, "ann"))).status_code == 429
    assert (await client.get("/ok", headers=bearer(resources, "bob"))).status_code == 200
    # No token (or a bad one): the client address is the key.
    assert [(await client.get("/ok")).status_code for _ in range(3)] == [200, 200, 200]
    assert (await client.get("/ok", headers={"Authorization": "Bearer junk"})).status_code == 429
