"""The OpenAPI document's shape, and OPTIONS: what clients and browsers read before they call."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from lml.identity.domain.rules import EMAIL_PATTERN, NAME_PATTERN, PASSWORD_PATTERN
from lml.ordering.infrastructure.keyset_cursor import CURSOR_PATTERN
from lml.platform.domain.date_time import OFFSET_DATE_TIME_PATTERN
from lml.platform.http.request_guard import NO_NUL_PATTERN

METHODS = ("get", "post", "put", "patch", "delete")


async def _document(api: httpx.AsyncClient) -> dict[str, Any]:
    answer = await api.get("/schema/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()
            if method in METHODS]


async def test_every_operation_has_a_short_id_a_description_a_tag_and_problem_errors(api: httpx.AsyncClient) -> None:
    document = await _document(api)
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][A-Za-z]{2,30}", op_id) for op_id in ids), ids
    tags = {tag["name"]: tag.get("description") for tag in document["tags"]}
    for path, method, op in _operations(document):
        assert op.get("description"), (method, path)
        assert op["tags"] and all(tags.get(tag) for tag in op["tags"]), (method, path)
        for status, answer in op["responses"].items():
            if int(status) >= 400:
                assert answer["content"] == {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path, status)


async def test_every_reference_resolves(api: httpx.AsyncClient) -> None:
    document = await _document(api)
    text = json.dumps(document)
    for kind, name in set(re.findall(r'"#/components/(\w+)/([^"]+)"', text)):
        assert name in document["components"][kind], (kind, name)


async def test_security_is_bearer_except_where_no_token_is_needed(api: httpx.AsyncClient) -> None:
    document = await _document(api)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    by_id = {op["operationId"]: op for _, _, op in _operations(document)}
    for public in ("browseEvents", "getSeatMap", "getAvailability", "register", "issueToken", "receiveStripeEvent"):
        assert by_id[public]["security"] == [], public
    for guarded in ("createHold", "placeOrder", "refundOrder", "createVenue", "getMe"):
        assert by_id[guarded]["security"] == [{"bearer": []}], guarded
        assert "401" in by_id[guarded]["responses"], guarded


async def test_the_headers_routes_read_and_send_are_declared(api: httpx.AsyncClient) -> None:
    by_id = {op["operationId"]: op for _, _, op in _operations(await _document(api))}

    def reads(op_id: str) -> dict[str, bool]:
        return {p["name"]: p["required"] for p in by_id[op_id].get("parameters", []) if p["in"] == "header"}

    assert reads("createHold") == {"Idempotency-Key": False, "X-Queue-Pass": False}
    assert reads("extendHold") == {"If-Match": False}
    assert reads("getSeatMap") == {"If-None-Match": False}
    assert reads("streamAvailability") == {"Last-Event-ID": False}
    assert reads("receiveStripeEvent") == {"Stripe-Signature": True}
    assert reads("getShowSales") == {"X-Org-ID": True}
    created = by_id["createHold"]["responses"]
    assert {"Location", "RateLimit-Limit", "Idempotent-Replayed"} <= set(created["201"]["headers"])
    assert "Retry-After" in created["429"]["headers"]
    assert "ETag" in by_id["getAvailability"]["responses"]["200"]["headers"]
    assert "304" in by_id["getAvailability"]["responses"]


async def test_request_bodies_refuse_unknown_fields_and_carry_their_constraints(api: httpx.AsyncClient) -> None:
    schemas = (await _document(api))["components"]["schemas"]
    assert schemas["HoldBody"]["additionalProperties"] is False
    amount = schemas["RefundBody"]["properties"]["amount"]
    assert {"type": "integer", "exclusiveMinimum": 0} in amount["anyOf"]
    assert schemas["PlaceOrderBody"]["properties"]["hold_id"] == {
        "type": "string", "minLength": 1, "maxLength": 200, "pattern": NO_NUL_PATTERN}


async def test_the_rules_the_domain_checks_are_stated_as_it_checks_them(api: httpx.AsyncClient) -> None:
    document = await _document(api)
    schemas = document["components"]["schemas"]
    register = schemas["RegisterBody"]["properties"]
    assert (register["email"]["pattern"], register["password"]["pattern"], register["name"]["pattern"]) == (
        EMAIL_PATTERN, PASSWORD_PATTERN, NAME_PATTERN)
    assert schemas["RoleChange"]["properties"]["role"]["enum"] == ["owner", "manager", "box_office"]
    assert schemas["RoomBody"]["properties"]["opens_at"]["pattern"] == OFFSET_DATE_TIME_PATTERN
    assert "Europe/Paris" in schemas["VenueDraft"]["properties"]["timezone"]["enum"]
    # Members a layout draft does not name are taken and ignored: any JSON, without a NUL.
    assert schemas["LayoutDraft"]["additionalProperties"] == {"$ref": "#/components/schemas/JsonValue"}
    assert schemas["LayoutDraft"]["propertyNames"] == {"pattern": NO_NUL_PATTERN}
    by_id = {op["operationId"]: op for _, _, op in _operations(document)}
    hold = by_id["createHold"]["requestBody"]["content"]["application/json"]["schema"]
    assert hold["$ref"] == "#/components/schemas/HoldBody" and hold["anyOf"] and hold["not"]
    assert by_id["receiveStripeEvent"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EventEnvelope"}
    assert {grant["properties"]["grant_type"]["const"] for grant in
            by_id["issueToken"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"]} == {
        "password", "refresh_token"}
    cursor = next(p for p in by_id["listOrders"]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"]["pattern"] == CURSOR_PATTERN


async def test_bodies_sent_as_bytes_or_streams_are_described(api: httpx.AsyncClient) -> None:
    by_id = {op["operationId"]: op for _, _, op in _operations(await _document(api))}
    assert by_id["getSeatMap"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SeatMap"}
    assert by_id["getAvailability"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Availability"}
    assert "text/event-stream" in by_id["streamAvailability"]["responses"]["200"]["content"]
    assert "text/csv" in next(iter(by_id["exportAttendees"]["responses"]["200"]["content"]))


async def test_every_answer_with_a_body_says_what_the_body_is(api: httpx.AsyncClient) -> None:
    # An empty schema accepts anything: a generated client would type the body as unknown (a handler
    # that may also answer a problem without raising declares its success body in its contract).
    vague = [f"{op['operationId']} {status} {media}" for _, _, op in _operations(await _document(api))
             for status, answer in op["responses"].items() for media, body in (answer.get("content") or {}).items()
             if not body.get("schema")]
    assert vague == []


async def test_options_answers_every_method_of_its_path(api: httpx.AsyncClient) -> None:
    document = await _document(api)
    some_id = "2ba9629f-9948-5afc-897a-b107253b2606"
    for path, item in document["paths"].items():
        url = re.sub(r"\{version\}", "1", re.sub(r"\{(?!version\})\w+\}", some_id, path))
        answer = await api.options(url)
        assert answer.status_code == 204, (path, answer.status_code)
        allowed = {m.strip() for m in answer.headers["allow"].split(",")}
        assert {m.upper() for m in item if m in METHODS} | {"OPTIONS"} <= allowed, (path, allowed)


async def test_every_operation_the_general_rate_limit_covers_documents_its_429_and_budget(
    api: httpx.AsyncClient,
) -> None:
    for path, method, op in _operations(await _document(api)):
        if path in ("/livez", "/readyz", "/metrics", "/v1/payments/stripe/webhook"):
            continue  # what load balancers and Stripe call is never limited
        assert "429" in op["responses"], (method, path)
        answered = next(iter(op["responses"].values()))
        assert "RateLimit-Remaining" in answered.get("headers", {}), (method, path)
    webhook = (await _document(api))["paths"]["/v1/payments/stripe/webhook"]["post"]
    assert "429" not in webhook["responses"]
