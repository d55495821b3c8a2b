"""Every error is an RFC 9457 problem: one mapping from exceptions, nothing leaked on a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import psycopg
import psycopg_pool
import pymongo.errors
import pytest
import redis.exceptions
from litestar import Litestar, Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.testing import AsyncTestClient
from psycopg.types.json import Jsonb

from lml.app import create_app
from lml.config import Settings
from lml.container import Container
from lml.platform.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)
from lml.platform.http.problems import PROBLEM_JSON, TYPE_BASE, exception_handlers
from lml.platform.resources import Resources
from tests.fixtures.http import served_like_the_service

SECRET = "password=hunter2"


class Seat(msgspec.Struct, forbid_unknown_fields=True):
    row: str
    number: int


class PlaceOrder(msgspec.Struct):
    name: str
    quantity: int
    seats: list[Seat]
    note: str = ""


class SeatsTaken(Conflict):
    """Some of the seats are taken."""


ERRORS: dict[str, DomainError] = {
    "invalid": InvalidInput([FieldError("/quantity", "must be positive"), FieldError("/seats/0", "is unknown")]),
    "unauthorized": Unauthorized("A bearer access token is required"),
    "forbidden": Forbidden("Managers only"),
    "not-found": NotFound("No such show"),
    "conflict": SeatsTaken(conflicts=["A-1", "A-2"]),
    "precondition": PreconditionFailed("The hold token does not match"),
    "throttled": TooManyRequests(retry_after=7),
    "unavailable": Unavailable(retry_after=30, detail="The payment provider cannot be reached"),
    "shadowing": Conflict("The show moved", status="moved", instance="/elsewhere", current_status="on_sale"),
}


@post("/orders", sync_to_thread=False)
def place_order(data: JSONBody[PlaceOrder]) -> dict[str, int]:
    return {"seats": len(data.seats)}


@get("/errors/{kind:str}", sync_to_thread=False)
def raise_domain_error(kind: FromPath[str]) -> None:
    raise ERRORS[kind]


@get("/crash", sync_to_thread=False)
def crash() -> None:
    raise RuntimeError(f"connection to db failed: {SECRET}")


@post("/raw")
async def read_raw_json(request: Request[Any, Any, Any]) -> dict[str, int]:
    return {"keys": len(await request.json())}


@get("/recurse", sync_to_thread=False)
def recurse() -> None:
    def down(n: int) -> int:
        return down(n + 1)

    down(0)


@get("/undecodable", sync_to_thread=False)
def undecodable() -> str:
    return b"\xff".decode()


@get("/unencodable", sync_to_thread=False)
def unencodable() -> dict[str, object]:
    return {"what": object()}


OUTAGES = {
    "postgresql": psycopg.OperationalError("connection refused"),
    "pool": psycopg_pool.PoolTimeout("couldn't get a connection"),
    "redis": redis.exceptions.ConnectionError("Error 111 connecting"),
    "mongodb": pymongo.errors.ServerSelectionTimeoutError("127.0.0.1:1: connection refused"),
}


@get("/outage/{store:str}", sync_to_thread=False)
def store_outage(store: FromPath[str]) -> None:
    raise OUTAGES[store]


# Values that PostgreSQL refuses in a query (a data exception): a NUL in text or in jsonb only input
# can carry; a division by zero is a bug of ours.
QUERIES: dict[str, tuple[str, Any]] = {
    "nul-text": ("SELECT %s::text", "a\u0000b"),
    "nul-jsonb": ("SELECT %s::jsonb", Jsonb({"name": "a\u0000b"})),
    "division": ("SELECT 1 / %s", 0),
}


@get("/test/query/{kind:str}")
async def run_query(resources: NamedDependency[Resources], kind: FromPath[str]) -> None:
    sql, value = QUERIES[kind]
    async with resources.db.unit_of_work() as uow:
        await uow.conn.execute(sql, (value,))


test_routes = Router(
    path="/test",
    route_handlers=[place_order, raise_domain_error, crash, read_raw_json, recurse, undecodable, unencodable,
                    store_outage],
)


@pytest.fixture
async def bare() -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A test-only app: no store, just the problem mapping every context's routes get."""
    app = Litestar([test_routes], exception_handlers=exception_handlers())
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
async def real(base_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The real app (as `lml serve` builds it), with a small body limit and the test routes added."""
    app = create_app(msgspec.structs.replace(base_settings, max_body_bytes=1024))
    app.register(test_routes)
    app.register(run_query)  # needs the real app's stores
    async with AsyncTestClient(app=app) as client:
        yield client


def assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"] == TYPE_BASE + kind
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["instance"] == response.request.url.path
    return body


async def test_a_body_with_several_bad_fields_lists_every_one_with_its_path(
    bare: AsyncTestClient[Litestar],
) -> None:
    response = await bare.post(
        "/test/orders",
        json={"quantity": "two", "seats": [{"row": "A", "number": 1}, {"row": 5, "number": "x", "extra": 1}, {}]},
    )

    body = assert_problem(response, 422, "validation-error")
    assert {e["path"] for e in body["errors"]} == {
        "/name",
        "/quantity",
        "/seats/1/row",
        "/seats/1/number",
        "/seats/1/extra",
        "/seats/2/row",
        "/seats/2/number",
    }
    assert all(e["message"] for e in body["errors"])
    assert "/name: is required" in body["detail"]


async def test_a_valid_body_passes(bare: AsyncTestClient[Litestar]) -> None:
    response = await bare.post("/test/orders", json={"name": "n", "quantity": 1, "seats": [{"row": "A", "number": 1}]})

    assert response.status_code == 201
    assert response.json() == {"seats": 1}


async def test_malformed_json_is_a_400_problem(bare: AsyncTestClient[Litestar]) -> None:
    response = await bare.post("/test/orders", content=b'{"name": ', headers={"content-type": "application/json"})

    body = assert_problem(response, 400, "malformed-json")
    assert body["detail"] == "The request body is not valid JSON"


async def test_malformed_json_read_by_a_handler_itself_is_a_400_problem(bare: AsyncTestClient[Litestar]) -> None:
    response = await bare.post("/test/raw", content=b"{oops", headers={"content-type": "application/json"})

    assert_problem(response, 400, "malformed-json")


async def test_a_body_nested_too_deeply_to_decode_is_a_400_problem(bare: AsyncTestClient[Litestar]) -> None:
    deep = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await bare.post("/test/orders", content=deep, headers={"content-type": "application/json"})

    assert assert_problem(response, 400, "malformed-json")["detail"] == "The request body is nested too deeply"


@pytest.mark.parametrize("path", ["/test/orders", "/test/raw"])
async def test_a_body_that_is_not_utf8_is_a_400_problem(bare: AsyncTestClient[Litestar], path: str) -> None:
    response = await bare.post(path, content=b'{"name": "\xff"}', headers={"content-type": "application/json"})

    assert_problem(response, 400, "malformed-json")


async def test_text_of_our_own_that_does_not_decode_is_a_500(bare: AsyncTestClient[Litestar]) -> None:
    assert_problem(await bare.get("/test/undecodable"), 500, "internal-error")


async def test_a_recursion_of_our_own_is_a_500(bare: AsyncTestClient[Litestar]) -> None:
    assert_problem(await bare.get("/test/recurse"), 500, "internal-error")


async def test_a_response_that_does_not_encode_is_our_500_not_a_400(bare: AsyncTestClient[Litestar]) -> None:
    assert_problem(await bare.get("/test/unencodable"), 500, "internal-error")


@pytest.mark.parametrize(
    ("kind", "status", "problem_type"),
    [
        ("invalid", 422, "invalid-input"),
        ("unauthorized", 401, "unauthorized"),
        ("forbidden", 403, "forbidden"),
        ("not-found", 404, "not-found"),
        ("conflict", 409, "seats-taken"),
        ("precondition", 412, "precondition-failed"),
        ("throttled", 429, "too-many-requests"),
        ("unavailable", 503, "unavailable"),
    ],
)
async def test_each_domain_error_base_maps_to_its_status(
    bare: AsyncTestClient[Litestar], kind: str, status: int, problem_type: str
) -> None:
    response = await bare.get(f"/test/errors/{kind}")

    body = assert_problem(response, status, problem_type)
    assert body["detail"] == ERRORS[kind].detail


async def test_401_says_how_to_authenticate(bare: AsyncTestClient[Litestar]) -> None:
    response = await bare.get("/test/errors/unauthorized")

    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_429_and_503_say_when_to_retry(bare: AsyncTestClient[Litestar]) -> None:
    assert (await bare.get("/test/errors/throttled")).headers["retry-after"] == "7"
    assert (await bare.get("/test/errors/unavailable")).headers["retry-after"] == "30"
    assert "retry-after" not in (await bare.get("/test/errors/conflict")).headers


@pytest.mark.parametrize("store", sorted(OUTAGES))
async def test_a_store_that_does_not_answer_is_a_503_saying_when_to_retry(
    bare: AsyncTestClient[Litestar], store: str
) -> None:
    response = await bare.get(f"/test/outage/{store}")
    body = assert_problem(response, 503, "unavailable")
    assert int(response.headers["retry-after"]) >= 1
    assert "refused" not in body["detail"] and "connecting" not in body["detail"]


async def test_an_extension_named_like_a_standard_member_cannot_change_the_problem(
    bare: AsyncTestClient[Litestar],
) -> None:
    body = assert_problem(await bare.get("/test/errors/shadowing"), 409, "conflict")
    assert (body["status"], body["instance"], body["current_status"]) == (409, "/test/errors/shadowing", "on_sale")


async def test_a_context_error_carries_its_extra_members(bare: AsyncTestClient[Litestar]) -> None:
    conflict = (await bare.get("/test/errors/conflict")).json()
    invalid = (await bare.get("/test/errors/invalid")).json()

    assert conflict["conflicts"] == ["A-1", "A-2"]
    assert conflict["detail"] == "Some of the seats are taken."
    assert invalid["errors"] == [
        {"path": "/quantity", "message": "must be positive"},
        {"path": "/seats/0", "message": "is unknown"},
    ]


async def test_an_unknown_route_is_a_404_problem(real: AsyncTestClient[Litestar]) -> None:
    assert_problem(await real.get("/no/such/route"), 404, "not-found")


async def test_a_wrong_method_is_a_405_problem_listing_the_allowed_ones(real: AsyncTestClient[Litestar]) -> None:
    response = await real.delete("/livez")

    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]


async def test_a_body_over_the_limit_is_a_413_problem(real: AsyncTestClient[Litestar]) -> None:
    response = await real.post("/test/orders", json={"name": "x" * 2000, "quantity": 1, "seats": []})

    assert_problem(response, 413, "request-body-too-large")


async def test_malformed_json_in_the_real_app_is_a_400_problem(real: AsyncTestClient[Litestar]) -> None:
    response = await real.post("/test/orders", content=b"{not json", headers={"content-type": "application/json"})

    assert_problem(response, 400, "malformed-json")


@pytest.mark.parametrize("kind", ["nul-text", "nul-jsonb"])
async def test_a_nul_character_that_reaches_postgresql_is_still_a_422(
    real: AsyncTestClient[Litestar], kind: str
) -> None:
    assert_problem(await real.get(f"/test/query/{kind}"), 422, "nul-character")


async def test_any_other_data_exception_of_postgresql_is_our_500(real: AsyncTestClient[Litestar]) -> None:
    assert_problem(await real.get("/test/query/division"), 500, "internal-error")


async def test_a_crash_is_a_generic_500_that_leaks_nothing_but_carries_the_request_id(
    real: AsyncTestClient[Litestar],
) -> None:
    response = await real.get("/test/crash", headers={"X-Request-ID": "req-crash-1"})

    body = assert_problem(response, 500, "internal-error")
    assert body["request_id"] == "req-crash-1"
    assert response.headers["x-request-id"] == "req-crash-1"
    for leak in ("hunter2", "RuntimeError", "Traceback", "connection to db", ".py"):
        assert leak not in response.text


async def test_the_test_only_app_wrapped_like_the_real_one_puts_the_request_id_in_problems(
    container: Container,
) -> None:
    app = served_like_the_service(Litestar([test_routes], exception_handlers=exception_handlers()), container)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/test/errors/not-found")

    assert response.json()["request_id"] == response.headers["x-request-id"]
