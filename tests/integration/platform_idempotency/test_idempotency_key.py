"""`Idempotency-Key` on a mutating route, against a real Redis: replay, mismatch, in flight.

A small app of its own keeps these tests about the middleware: its one route counts how often it
really ran and can be held open, so "still in flight" is a state the test controls, not a race.
Requests go through httpx's ASGI transport, which runs them concurrently on the test's event loop
(Litestar's test client runs one request at a time)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar, Request, post
from litestar.params import JSONBody

from lml.config import Settings
from lml.container import Container
from lml.platform.domain.principal import Principal
from lml.platform.http.idempotency import idempotent
from lml.platform.http.problems import exception_handlers
from lml.platform.idempotency import Begin, IdempotencyStore, StoredResponse
from lml.platform.resources import Resources
from tests.fixtures.http import served_like_the_service

pytestmark = pytest.mark.usefixtures("settings")


class Thing(msgspec.Struct):
    name: str
    wait: bool = False


class Route:
    def __init__(self) -> None:
        self.runs = 0
        self.ids = itertools.count(1)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    def app(self, container: Container) -> Litestar:
        route = self

        @post("/things", middleware=[idempotent], status_code=201)
        async def create_thing(request: Request[Any, Any, Any], data: JSONBody[Thing]) -> dict[str, Any]:
            route.runs += 1
            if data.wait:
                route.entered.set()
                await route.gate.wait()
            if data.name == "boom":
                raise RuntimeError("a failure on our side")
            return {"id": next(route.ids), "name": data.name, "at": datetime.now(UTC).isoformat()}

        app = Litestar(route_handlers=[create_thing], exception_handlers=exception_handlers())
        return served_like_the_service(app, container)


@pytest.fixture
def route() -> Route:
    return Route()


@pytest.fixture
async def things(route: Route, container: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=route.app(container), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


def buyer_headers(resources: Resources, key: str, subject: str = "buyer-1") -> dict[str, str]:
    token = resources.tokens.issue(Principal(subject, "user", frozenset({"buyer"})), datetime.now(UTC))
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key}


@pytest.mark.redis_cluster
async def test_the_same_key_and_body_replays_the_first_response_byte_for_byte(
    things: httpx.AsyncClient, route: Route, resources: Resources
) -> None:
    headers = buyer_headers(resources, "key-1")
    first = await things.post("/things", json={"name": "a"}, headers=headers)
    again = await things.post("/things", json={"name": "a"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true"
    assert route.runs == 1


async def test_the_same_key_with_another_body_is_refused_with_422(
    things: httpx.AsyncClient, route: Route, resources: Resources
) -> None:
    headers = buyer_headers(resources, "key-2")
    assert (await things.post("/things", json={"name": "a"}, headers=headers)).status_code == 201
    other = await things.post("/things", json={"name": "b"}, headers=headers)
    assert other.status_code == 422
    problem = other.json()
    assert problem["type"].endswith("/key-reused-with-other-body")
    assert problem["errors"][0]["path"] == "/headers/Idempotency-Key"
    assert route.runs == 1


async def test_a_duplicate_while_the_first_is_in_flight_gets_409_with_retry_after(
    things: httpx.AsyncClient, route: Route, resources: Resources
) -> None:
    headers = buyer_headers(resources, "key-3")
    body = {"name": "slow", "wait": True}
    first = asyncio.create_task(things.post("/things", json=body, headers=headers))
    await asyncio.wait_for(route.entered.wait(), 5)
    duplicates = await asyncio.gather(*(things.post("/things", json=body, headers=headers) for _ in range(20)))
    assert {d.status_code for d in duplicates} == {409}
    assert all(int(d.headers["retry-after"]) >= 1 for d in duplicates)
    assert duplicates[0].json()["type"].endswith("/request-in-flight")
    route.gate.set()
    done = await first
    assert done.status_code == 201
    replay = await things.post("/things", json=body, headers=headers)
    assert (replay.status_code, replay.content) == (201, done.content)
    assert route.runs == 1


@pytest.mark.redis_cluster
async def test_parallel_duplicates_run_the_route_once(
    things: httpx.AsyncClient, route: Route, resources: Resources
) -> None:
    headers = buyer_headers(resources, "key-4")
    answers = await asyncio.gather(*(things.post("/things", json={"name": "x"}, headers=headers) for _ in range(50)))
    created = [a for a in answers if a.status_code == 201]
    assert {a.status_code for a in answers} <= {201, 409}
    assert route.runs == 1
    assert len({a.content for a in created}) == 1


async def test_keys_belong_to_their_caller(
    things: httpx.AsyncClient, route: Route, resources: Resources
) -> None:
    mine = await things.post("/things", json={"name": "a"}, headers=buyer_headers(resources, "shared"))
    theirs = await things.post("/things", json={"name": "a"}, headers=buyer_headers(resources, "shared", "buyer-2"))
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert route.runs == 2


async def test_a_failed_request_frees_its_key_for_a_retry(
    things: httpx.AsyncClient, route: Route, resources: Resources
) -> None:
    headers = buyer_headers(resources, "key-5")
    failed = await things.post("/things", json={"name": "boom"}, headers=headers)
    assert failed.status_code == 500
    retried = await things.post("/things", json={"name": "boom"}, headers=headers)
    assert retried.status_code == 500
    assert route.runs == 2


async def test_a_malformed_key_is_refused_naming_the_header(
    things: httpx.AsyncClient, route: Route, resources: Resources
) -> None:
    answer = await things.post("/things", json={"name": "a"}, headers=buyer_headers(resources, "x" * 300))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == "/headers/Idempotency-Key"
    assert route.runs == 0


async def test_without_a_key_every_request_runs(
    things: httpx.AsyncClient, route: Route, resources: Resources, settings: Settings
) -> None:
    headers = {"Authorization": buyer_headers(resources, "unused")["Authorization"]}
    for _ in range(3):
        assert (await things.post("/things", json={"name": "a"}, headers=headers)).status_code == 201
    assert route.runs == 3


async def test_redis_holds_neither_the_key_nor_the_response_in_clear(
    things: httpx.AsyncClient, resources: Resources
) -> None:
    answer = await things.post("/things", json={"name": "a-secret-name"}, headers=buyer_headers(resources, "key-6"))
    assert answer.status_code == 201

    names = [name async for name in resources.redis.scan_iter(match="*idempotency*")]
    assert len(names) == 1 and b"key-6" not in names[0] and b"buyer-1" not in names[0]
    record = await resources.redis.hgetall(names[0])
    assert set(record) == {b"state", b"fingerprint", b"response"}
    assert b"a-secret-name" not in b"".join(record.values())
    assert answer.content not in record[b"response"]


async def test_another_server_secret_reads_no_record_of_the_first(resources: Resources) -> None:
    scope, digest = "user:buyer-1:key-7", "a hash of the request"
    first = IdempotencyStore(resources.redis, "lml", "a" * 32)
    assert (await first.begin(scope, digest)).outcome == "proceed"
    await first.store(scope, digest, StoredResponse(201, [("content-type", "application/json")], b'{"id": 1}'))

    assert await first.begin(scope, digest) == Begin(
        "replay", StoredResponse(201, [("content-type", "application/json")], b'{"id": 1}'))
    assert (await IdempotencyStore(resources.redis, "lml", "b" * 32).begin(scope, digest)).outcome == "proceed"
