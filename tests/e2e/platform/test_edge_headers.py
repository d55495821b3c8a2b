"""What every answer carries on its way out, whatever the route did: security headers, and CORS for
the origins of LML_CORS_ORIGINS only (the browser's own view of it: tests/e2e/platform/test_browser_cors.py)."""

from __future__ import annotations

import dataclasses

import httpx
import msgspec
import pytest
from litestar import Litestar, get

from lml.app import create_app
from lml.config import Settings
from lml.container import Container
from lml.platform.http.cors import ALLOWED_HEADERS, EXPOSED_HEADERS
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.http import api_client, served_like_the_service
from tests.fixtures.seating import MakeBuyer

APP_ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://elsewhere.example"
SECURITY = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY",
            "content-security-policy": "frame-ancestors 'none'", "server": "api"}


@pytest.fixture
def settings(base_settings: Settings, clean_world: None) -> Settings:
    return msgspec.structs.replace(base_settings, cors_origins=f"{APP_ORIGIN}, http://127.0.0.1:5173")


def preflight(method: str, headers: str, origin: str = APP_ORIGIN) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


def secured(response: httpx.Response) -> httpx.Response:
    for name, value in SECURITY.items():
        assert response.headers.get_list(name) == [value], (name, response.headers)
    assert "strict-transport-security" not in response.headers  # development
    return response


def readable_by(response: httpx.Response, origin: str) -> bool:
    assert "origin" in response.headers["vary"].lower()
    allowed = response.headers.get("access-control-allow-origin")
    assert allowed in (None, origin)
    return allowed == origin


async def test_a_preflight_from_an_allowed_origin_names_the_methods_and_headers_the_api_reads(
    client: httpx.AsyncClient,
) -> None:
    asked = "authorization, content-type, idempotency-key, x-queue-pass"
    answer = secured(await client.options("/v1/shows/any/holds", headers=preflight("POST", asked)))
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert answer.headers["vary"] == "Origin"
    assert {m.strip() for m in answer.headers["access-control-allow-methods"].split(",")} >= {
        "GET", "POST", "PUT", "PATCH", "DELETE"}
    allowed = {h.strip() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert allowed >= {"authorization", "content-type", "idempotency-key", "if-match", "if-none-match", "x-org-id",
                       "x-queue-pass", "last-event-id"} == set(ALLOWED_HEADERS) - {"x-request-id"}
    assert int(answer.headers["access-control-max-age"]) > 0


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        (preflight("GET", "authorization", OTHER_ORIGIN), f"the origin {OTHER_ORIGIN}"),
        (preflight("GET", "authorization", "null"), "the origin null"),
        (preflight("GET", "authorization, x-debug"), "the headers x-debug"),
        (preflight("TRACE", ""), "the method TRACE"),
    ],
)
async def test_any_other_preflight_is_a_403_problem_naming_what_is_refused(
    client: httpx.AsyncClient, headers: dict[str, str], named: str
) -> None:
    answer = secured(await client.options("/v1/events", headers=headers))
    assert answer.status_code == 403 and answer.headers["content-type"] == "application/problem+json"
    assert "access-control-allow-origin" not in answer.headers
    assert named in answer.json()["detail"] and answer.json()["type"].endswith("/cors-refused")


async def test_answers_to_an_allowed_origin_are_readable_and_expose_the_headers_apps_need(
    client: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    events = secured(await client.get("/v1/events", headers={"Origin": APP_ORIGIN}))
    assert events.status_code == 200 and readable_by(events, APP_ORIGIN)
    exposed = {h.strip() for h in events.headers["access-control-expose-headers"].split(",")}
    assert exposed >= {"ETag", "Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                       "X-Request-ID"} and exposed == set(EXPOSED_HEADERS)
    seatmap = await client.get(f"/v1/shows/{show.show_id}/seatmap", headers={"Origin": APP_ORIGIN})
    assert seatmap.status_code == 200 and readable_by(seatmap, APP_ORIGIN)
    held = await client.post(f"/v1/shows/{show.show_id}/holds", json={"seat_ids": show.seat_ids[:1], "zones": {}},
                             headers={**buyer.headers, "Origin": APP_ORIGIN})
    assert held.status_code == 201 and readable_by(secured(held), APP_ORIGIN)
    # Errors too: the app reads the problem (401, 404 of an unknown route, 422).
    for answer in (
        await client.post(f"/v1/shows/{show.show_id}/holds", json={}, headers={"Origin": APP_ORIGIN}),
        await client.get("/v1/no-such-route", headers={"Origin": APP_ORIGIN}),
        await client.get("/v1/events?limit=0", headers={"Origin": APP_ORIGIN}),
    ):
        assert answer.status_code in (401, 404, 422), answer.text
        assert readable_by(secured(answer), APP_ORIGIN)
        assert answer.headers["content-type"] == "application/problem+json"


async def test_answers_to_another_origin_are_not_readable_and_say_they_vary(client: httpx.AsyncClient) -> None:
    for origin in (OTHER_ORIGIN, "https://app.example.com.evil", "http://app.example.com"):
        answer = secured(await client.get("/v1/events", headers={"Origin": origin}))
        assert answer.status_code == 200 and not readable_by(answer, origin)
        assert "access-control-expose-headers" not in answer.headers
    without_origin = await client.get("/v1/events")
    assert not readable_by(without_origin, APP_ORIGIN)


async def test_with_no_origin_configured_no_browser_may_read_anything(container: Container) -> None:
    app = create_app(container=dataclasses.replace(container, settings=msgspec.structs.replace(
        container.settings, cors_origins="")))
    async with api_client(app) as plain:
        asked = await plain.options("/v1/events", headers=preflight("GET", "authorization"))
        read = await plain.get("/v1/events", headers={"Origin": APP_ORIGIN})
    assert "access-control-allow-origin" not in asked.headers and asked.status_code < 500
    assert read.status_code == 200 and "access-control-allow-origin" not in read.headers
    assert "access-control-expose-headers" not in read.headers


def edge_around(routes: Litestar, container: Container, **settings: object) -> httpx.AsyncClient:
    """A client of `routes` behind the service's edge, with `settings` changed."""
    changed = dataclasses.replace(container, settings=msgspec.structs.replace(container.settings, **settings))
    return api_client(served_like_the_service(routes, changed))


async def test_production_answers_require_https_for_a_year(container: Container) -> None:
    @get("/")
    async def index() -> str:
        return "ok"

    for production, expected in ((True, ["max-age=31536000; includeSubDomains"]), (False, [])):
        async with edge_around(Litestar([index]), container, env="production" if production else "development") as c:
            for path in ("/", "/missing"):
                assert (await c.get(path)).headers.get_list("strict-transport-security") == expected


async def test_a_routes_own_server_header_is_replaced(container: Container) -> None:
    @get("/", response_headers={"Server": "litestar/2.x"})
    async def index() -> str:
        return "ok"

    async with edge_around(Litestar([index]), container) as c:
        assert (await c.get("/")).headers.get_list("server") == ["api"]


async def test_a_routes_own_vary_keeps_its_fields_with_origin_added(container: Container) -> None:
    @get("/", response_headers={"Vary": "Accept-Encoding"})
    async def index() -> str:
        return "ok"

    async with edge_around(Litestar([index]), container, cors_origins=APP_ORIGIN) as c:
        for origin in (APP_ORIGIN, OTHER_ORIGIN):
            answer = await c.get("/", headers={"Origin": origin})
            assert answer.headers.get_list("vary") == ["Accept-Encoding, Origin"]
