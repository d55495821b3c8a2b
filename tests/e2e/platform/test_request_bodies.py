"""Request bodies cannot push the API over: the size limit holds for every reader of the body (the
Idempotency-Key middleware too) before and while it is read, a body that does not arrive in time
is a 408, and a client that hangs up mid-body is no 500.

The first tests go through httpx's ASGI transport, which hands the app the body as the app pulls
it, so a test can count how much of a body the app read. The last ones run `lml serve` and talk to
it over a socket, as a slow client would."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from lml.app import create_app
from lml.config import Settings
from lml.container import build_container
from lml.platform.resources import Resources
from tests.fixtures.http import api_client
from tests.fixtures.identity import MakeOperator
from tests.fixtures.payments import WEBHOOK_PATH
from tests.fixtures.processes import serving
from tests.fixtures.seating import MakeBuyer
from tests.fixtures.venues import MakeVenue, layout_json
from tests.timing import eventually

CHUNK = 64 * 1024
JSON = {"Content-Type": "application/json"}


class CountingBody:
    """A request body of `size` bytes that counts how much of it the app pulled; with `stall`, it
    sends `size` bytes then never sends the rest."""

    def __init__(self, size: int, *, stall: bool = False) -> None:
        self.size = size
        self.stall = stall
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.size:
            piece = b" " * min(CHUNK, self.size - self.pulled)
            self.pulled += len(piece)
            yield piece
        if self.stall:
            await asyncio.Event().wait()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


ROUTES = ["idempotent-order", "hold", "webhook", "token"]


@pytest.fixture
def route(request: pytest.FixtureRequest, make_buyer: MakeBuyer) -> tuple[str, dict[str, str]]:
    """A POST route of each way of reading a body, with the headers it needs to get that far."""
    buyer = make_buyer()
    return {
        # The Idempotency-Key middleware reads the body before the route.
        "idempotent-order": ("/v1/orders", {**buyer.headers, **JSON, "Idempotency-Key": uuid.uuid4().hex}),
        # Litestar reads it for the route's `data`.
        "hold": (f"/v1/shows/{uuid.uuid4()}/holds", {**buyer.headers, **JSON}),
        # The route reads request.body() itself, or request.json().
        "webhook": (WEBHOOK_PATH, {**JSON, "Stripe-Signature": "t=1,v1=00"}),
        "token": ("/v1/auth/token", JSON),
    }[request.param]


@pytest.mark.parametrize("route", ROUTES, indirect=True)
async def test_a_chunked_body_over_the_limit_is_413_once_the_limit_is_passed(
    api: httpx.AsyncClient, settings: Settings, route: tuple[str, dict[str, str]]
) -> None:
    path, headers = route
    body = CountingBody(8 * settings.max_body_bytes)

    response = await api.post(path, content=body, headers=headers)

    problem(response, 413)
    assert body.pulled <= settings.max_body_bytes + CHUNK


@pytest.mark.parametrize("route", ROUTES, indirect=True)
async def test_a_content_length_over_the_limit_is_413_before_a_byte_is_read(
    api: httpx.AsyncClient, settings: Settings, route: tuple[str, dict[str, str]]
) -> None:
    path, headers = route
    body = CountingBody(settings.max_body_bytes + 1)

    response = await api.post(path, content=body, headers={**headers, "Content-Length": str(body.size)})

    problem(response, 413)
    assert body.pulled == 0


async def test_the_key_of_an_idempotent_request_refused_for_its_size_is_free_again(
    api: httpx.AsyncClient, settings: Settings, make_buyer: MakeBuyer
) -> None:
    headers = {**make_buyer().headers, **JSON, "Idempotency-Key": "too-big-then-fine"}
    problem(await api.post("/v1/orders", content=CountingBody(2 * settings.max_body_bytes), headers=headers), 413)

    again = await api.post("/v1/orders", json={"hold_id": str(uuid.uuid4()), "hold_token": "x"}, headers=headers)

    assert again.status_code == 404, again.text  # the route ran: no hold of that id


async def test_a_venue_layout_may_still_be_larger_than_the_general_limit(
    api: httpx.AsyncClient, settings: Settings, make_operator: MakeOperator, make_venue: MakeVenue
) -> None:
    owner = await make_operator()
    venue = await make_venue(org_id=owner.org_id)
    layout = json.dumps(layout_json(seats=40)).encode()
    padded = layout + b" " * (settings.max_body_bytes * 2)  # whitespace after the document is still JSON

    response = await api.post(f"/v1/admin/venues/{venue.venue_id}/layouts", content=padded,
                              headers={**owner.headers, **JSON})

    assert response.status_code == 201, response.text


@pytest.fixture
async def impatient_api(settings: Settings, resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    impatient = build_container(msgspec.structs.replace(settings, body_timeout_seconds=1), resources=resources)
    async with api_client(create_app(container=impatient)) as client:
        yield client


async def test_a_body_that_stops_arriving_is_a_408_and_the_connection_is_closed(
    impatient_api: httpx.AsyncClient, make_buyer: MakeBuyer
) -> None:
    headers = {**make_buyer().headers, **JSON, "Idempotency-Key": "stalled"}

    # A deadline on the test, well past the app's, so that a missing timeout fails rather than hangs.
    response = await asyncio.wait_for(
        impatient_api.post("/v1/orders", content=CountingBody(10, stall=True), headers=headers), 20)

    assert problem(response, 408)["type"].endswith("/request-timeout")
    assert response.headers["connection"] == "close"


# --- `lml serve` over a socket


def served(settings: Settings, log: Path) -> AbstractAsyncContextManager[int]:
    return serving(msgspec.structs.replace(settings, log_level="info", log_format="json", body_timeout_seconds=2), log)


def start_request(port: int, path: str, *, length: int, sent: bytes) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(f"POST {path} HTTP/1.1\r\nHost: lml\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {length}\r\n\r\n".encode() + sent)
    return conn


def read_until_closed(conn: socket.socket, seconds: float) -> bytes:
    conn.settimeout(seconds)
    received = b""
    while chunk := conn.recv(65536):
        received += chunk
    return received


def access_lines(log: Path, route: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "request" and line.get("route") == route]


async def test_a_body_trickled_too_slowly_is_answered_408_and_the_connection_closed(
    settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    async with served(settings, log) as port:
        conn = start_request(port, "/v1/auth/register", length=100, sent=b'{"email": ')
        try:
            answer = read_until_closed(conn, seconds=20)
        finally:
            conn.close()
        await eventually(lambda: bool(access_lines(log, "/v1/auth/register")), what="the access log line")

    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"application/problem+json" in answer
    assert [line["status"] for line in access_lines(log, "/v1/auth/register")] == [408]
    assert "unhandled_error" not in log.read_text()


async def test_a_client_that_hangs_up_mid_body_is_no_500(settings: Settings, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    async with served(settings, log) as port:
        start_request(port, "/v1/auth/register", length=100, sent=b'{"email": ').close()
        await eventually(lambda: bool(access_lines(log, "/v1/auth/register")), what="the access log line")

    assert [line["status"] for line in access_lines(log, "/v1/auth/register")] == [400]
    assert "unhandled_error" not in log.read_text()
