"""Input that used to crash a route (a 500): each is a 4xx problem now, and nothing is stored.

Issue 9's list: NUL characters in query strings and JSON strings, an instant past the calendar's
end, forged cursors, an absurd Stripe-Signature timestamp, an upper-case show id, the revisions of a
draft event."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import pytest

from lml.catalog.infrastructure.public_queries import EventFilters
from lml.config import Settings
from tests.fixtures.catalog import MakeEvent, MakeShowOnSale
from tests.fixtures.identity import MakeOperator, TestUser
from tests.fixtures.payments import WEBHOOK_PATH
from tests.fixtures.seating import MakeBuyer

Client = httpx.AsyncClient
SCHEMAS = ("platform", "identity", "venues", "catalog", "seating", "ordering", "payments")


def stored_rows(settings: Settings) -> dict[str, int]:
    """Every table's row count: what "nothing changed" is checked against."""
    with psycopg.connect(settings.migrate_database_url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname = ANY(%s)", [list(SCHEMAS)])]
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}  # type: ignore[index]


def problem(response: httpx.Response) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body


def error_paths(response: httpx.Response) -> set[str]:
    return {e["path"] for e in problem(response).get("errors", [])}


def cursor_of(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("query", ["city=%00", "q=jazz%00", "category=%00rock", "%00=1", "from=2030-01-01%00"])
async def test_a_nul_character_in_the_query_string_is_refused_naming_the_parameter(
    client: Client, query: str
) -> None:
    response = await client.get(f"/v1/events?{query}")

    body = problem(response)
    assert response.status_code == 422
    assert body["type"].endswith("/nul-character")
    name = query.split("=")[0].replace("%00", "\u0000")
    assert error_paths(response) == {f"/{name}"}


async def test_a_nul_character_in_the_path_is_refused(client: Client) -> None:
    response = await client.get("/v1/events/abc%00def")

    assert problem(response)["type"].endswith("/nul-character")


async def test_a_nul_character_in_a_venue_name_is_refused_and_nothing_is_stored(
    client: Client, settings: Settings, make_operator: MakeOperator
) -> None:
    owner = await make_operator()
    before = stored_rows(settings)

    response = await client.post("/v1/admin/venues", headers=owner.headers, json={
        "name": "Globe\u0000", "city": "London", "timezone": "Europe/London", "address": "1 Bankside\u0000"})

    assert response.status_code == 422
    assert error_paths(response) == {"/name", "/address"}
    assert stored_rows(settings) == before


async def test_a_nul_character_in_an_event_description_is_refused_and_nothing_is_stored(
    client: Client, settings: Settings, make_event: MakeEvent
) -> None:
    event = await make_event(publish=False)
    before = stored_rows(settings)

    created = await client.post("/v1/admin/events", headers=event.operator.headers, json={
        "venue_id": event.venue.venue_id, "title": "Gala", "category": "concert", "description": "An \u0000 evening"})
    changed = await client.patch(f"/v1/admin/events/{event.event_id}", headers=event.operator.headers,
                                 json={"description": "\u0000"})

    assert error_paths(created) == {"/description"}
    assert error_paths(changed) == {"/description"}
    assert stored_rows(settings) == before


async def test_an_escaped_backslash_before_u0000_is_no_nul_character(
    client: Client, settings: Settings, make_operator: MakeOperator
) -> None:
    owner = await make_operator()

    # JSON text `"Back\\u0000slash"`: an escaped backslash, then the letters u0000.
    body = b'{"name": "Back\\\\u0000slash", "city": "London", "timezone": "Europe/London"}'
    response = await client.post("/v1/admin/venues", content=body,
                                 headers={**owner.headers, "Content-Type": "application/json"})

    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Back\\u0000slash"


async def test_a_nul_character_is_found_in_a_body_that_arrives_a_few_bytes_at_a_time(
    api: httpx.AsyncClient, settings: Settings, make_operator: MakeOperator
) -> None:
    owner = await make_operator()
    body = b'{"name": "Globe\\u0000", "city": "Lon\\\\u0000don", "timezone": "Europe/London"}'
    before = stored_rows(settings)

    async def trickled() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 3):  # each `u0000` spans two or three pieces
            yield body[start:start + 3]

    response = await api.post("/v1/admin/venues", content=trickled(),
                              headers={**owner.headers, "Content-Type": "application/json"})

    assert response.status_code == 422
    assert error_paths(response) == {"/name"}  # the city's `\\u0000` is a backslash and the letters u0000
    assert stored_rows(settings) == before


async def test_a_nul_character_in_an_order_s_hold_id_is_refused_and_nothing_is_stored(
    client: Client, settings: Settings, make_buyer: MakeBuyer
) -> None:
    buyer = make_buyer()
    before = stored_rows(settings)

    response = await client.post("/v1/orders", headers={**buyer.headers, "Idempotency-Key": "nul-1"},
                                 json={"hold_id": "h\u0000", "hold_token": "t"})

    assert response.status_code == 422
    assert error_paths(response) == {"/hold_id"}
    assert stored_rows(settings) == before


async def test_a_nul_character_in_a_form_field_is_refused_naming_the_field(client: Client, settings: Settings) -> None:
    before = stored_rows(settings)

    response = await client.post("/v1/auth/token", content=b"grant_type=password&email=a%00b&password=x",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert response.status_code == 422
    assert error_paths(response) == {"/email"}
    assert stored_rows(settings) == before


async def test_a_nul_character_in_a_member_name_is_refused_naming_the_member(
    client: Client, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer
) -> None:
    show = await make_show_on_sale(seats=4, zones={"floor": 10})

    response = await client.post(f"/v1/shows/{show.show_id}/holds", headers=make_buyer().headers,
                                 json={"seat_ids": [], "zones": {"fl/oor\u0000": 1}})

    assert response.status_code == 422
    assert error_paths(response) == {"/zones/fl~1oor\u0000"}
    availability = (await client.get(f"/v1/shows/{show.show_id}/availability")).json()
    assert [(z["zone_id"], z["remaining"]) for z in availability["zones"]] == [("floor", 10)]


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
async def test_an_instant_outside_the_calendar_once_in_utc_is_422_naming_it(client: Client, instant: str) -> None:
    response = await client.get("/v1/events", params={"from": instant})

    assert response.status_code == 422
    assert error_paths(response) == {"/from"}


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda fp: cursor_of(fp, "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "not-a-uuid"),
                     id="event-id-not-a-uuid"),
        pytest.param(lambda fp: cursor_of(fp, "2030-01-01T00:00:00", "2030-01-01T00:00:00", "0" * 32),
                     id="instants-without-offset"),
        pytest.param(lambda fp: cursor_of(fp, "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "\u0000"),
                     id="event-id-a-nul-character"),
    ],
)
async def test_a_forged_events_cursor_is_422(client: Client, forged: Any) -> None:
    response = await client.get("/v1/events", params={"cursor": forged(EventFilters().fingerprint())})

    assert response.status_code == 422, response.text
    assert error_paths(response) == {"/cursor"}


@pytest.mark.parametrize("seq", ["9" * 30, "-5", str(2**63)])
async def test_a_forged_stripe_events_cursor_is_422(client: Client, platform_admin: TestUser, seq: str) -> None:
    cursor = base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")

    response = await client.get("/v1/admin/payments/events", params={"cursor": cursor},
                                headers=platform_admin.headers)

    assert response.status_code == 422, response.text
    assert error_paths(response) == {"/cursor"}


@pytest.mark.parametrize("timestamp", ["9" * 5000, "1" * 4301], ids=["5000-digits", "4301-digits"])
async def test_an_absurd_stripe_signature_timestamp_is_400_and_nothing_is_stored(
    client: Client, settings: Settings, timestamp: str
) -> None:
    before = stored_rows(settings)

    response = await client.post(WEBHOOK_PATH, content=b'{"id": "evt_1", "type": "charge.refunded"}',
                                 headers={"Stripe-Signature": f"t={timestamp},v1=abc",
                                          "Content-Type": "application/json"})

    assert response.status_code == 400
    assert problem(response)["type"].endswith("/invalid-webhook-signature")
    assert stored_rows(settings) == before


async def test_an_upper_case_show_id_names_the_same_show_on_admin_routes(
    client: Client, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=4)
    headers = show.operator.headers

    read = await client.get(f"/v1/admin/shows/{show.show_id.upper()}", headers=headers)
    sales = await client.get(f"/v1/admin/shows/{show.show_id.upper()}/sales", headers=headers)
    blocked = await client.post(f"/v1/admin/shows/{show.show_id.upper()}/seats/block", headers=headers,
                                json={"seat_ids": show.seat_ids[:1]})

    assert read.status_code == 200, read.text
    assert read.json()["show_id"] == show.show_id
    assert sales.status_code == 200, sales.text
    assert blocked.status_code == 200, blocked.text


async def test_the_revisions_of_a_draft_event_are_an_empty_list(
    client: Client, make_event: MakeEvent
) -> None:
    event = await make_event(publish=False)

    response = await client.get(f"/v1/admin/events/{event.event_id}/revisions", headers=event.operator.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"items": []}
