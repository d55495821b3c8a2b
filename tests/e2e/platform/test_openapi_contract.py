"""The OpenAPI document against the server that runs: Schemathesis draws requests for every operation
from /schema/openapi.json (valid ones and invalid ones), sends them to `lml serve` as a real process
on the real stores, as a buyer, an operator and nobody, with real ids (a show on sale, a hold, an
order...), and checks each answer: no 5xx, a documented status, content type, body and headers, and
invalid input refused, valid input accepted.

Bounded: a few examples per operation and mode (`EXAMPLES`), about a minute in all on two cores."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lml.config import Settings
from tests.e2e.platform.buyer_world import buyer_world
from tests.e2e.platform.test_processes import process
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.identity import MakeUser
from tests.fixtures.seating import MakeBuyer
from tests.services import free_port
from tests.timing import eventually

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection, positive_data_acceptance]
EXAMPLES = int(os.environ.get("LML_CONTRACT_EXAMPLES", "6"))
STRIPE_WEBHOOK = "/v1/payments/stripe/webhook"
WEBHOOK_SECRET = "whsec_test_lml"
# Operations that end what the others use (a show, an event, a hold, a member): run last.
_LAST_WORDS = ("cancel", "archive", "release", "delete", "remove", "logout", "revoke")
# A valid request may still meet a state that refuses it, each a documented status: a 404, a 409, or a
# 410 for a one-time token that is used, expired or unknown.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx"]
# Operations where a request the schema calls valid may still be a 422, for the rule JSON Schema cannot
# state that the 422's description names: what the request names must exist, a rule across items or
# fields, or one against the state. There, and for valid data only, a 422 is an answer; every other check
# holds on them as on every operation.
STATED_RULES = {
    "GET /v1/events": "a cursor is a next_cursor given for the same filters",
    "POST /v1/admin/events": "venue_id names a venue of the operator's organization",
    "PATCH /v1/admin/events/{event_id}": "venue_id names a venue of the operator's organization",
    "POST /v1/admin/events/{event_id}/shows": "layout_id (and layout_version) name a published layout",
    "PATCH /v1/admin/shows/{show_id}": "layout_id (and layout_version) name a published layout",
    "POST /v1/admin/organizations/{org_id}/members": "an account is registered with the email",
    "POST /v1/admin/shows/{show_id}/seats/block": "every seat id is a seat of the show's layout",
    "POST /v1/admin/shows/{show_id}/seats/unblock": "every seat id is a seat of the show's layout",
    "POST /v1/admin/venues/{venue_id}/layouts": "no seat twice (section, row and number)",
    "PUT /v1/admin/venues/{venue_id}/layouts/{layout_id}": "no seat twice (section, row and number)",
    "PATCH /v1/admin/venues/{venue_id}/layouts/{layout_id}": "the draft as changed meets every rule of a draft",
    "POST /v1/shows/{show_id}/holds": "the seats, GA zones, sections and price tier named are the show's",
    "PUT /v1/admin/shows/{show_id}/refund-policy": "no two tiers at the same hours_before",
    "PUT /v1/admin/shows/{show_id}/waiting-room": "the room opens no later than the show's sale",
}
CONFIG = SchemathesisConfig.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
    "operations": [{"include-name": label,  # the label, "METHOD /path": one operation only
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}}}
                   for label in STATED_RULES],
})


@dataclass(frozen=True)
class World:
    ids: dict[str, str]
    buyer: dict[str, str]
    operator: dict[str, str]


@pytest.fixture
async def world(api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer,
                make_user: MakeUser) -> World:
    made = await buyer_world(api, make_show_on_sale, make_buyer, seats=30)
    show, buyer, other = made.show, made.buyer, made.hold
    member = await make_user()
    operator = show.operator
    return World(
        ids={"show_id": show.show_id, "event_id": show.event_id, "order_id": made.order_id,
             "hold_id": other.hold_id, "venue_id": show.layout.venue_id, "layout_id": show.layout.layout_id,
             "version": str(show.layout.version), "org_id": operator.org_id, "user_id": member.user_id,
             "request_id": made.order_id},
        buyer={"Authorization": f"Bearer {buyer.token}", "If-Match": other.hold_token},
        operator=operator.headers,
    )


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with process(["serve"], msgspec.structs.replace(settings, host="127.0.0.1", port=port), tmp_path / "serve.log"):
        yield f"http://127.0.0.1:{port}"


def stripe_signature(case: Any, secret: str) -> str:
    """The signature Stripe would send for the case's body (the test settings' webhook secret)."""
    # Encoded as requests encodes a `json=` body, so that the signature covers the bytes sent.
    payload = json.dumps(case.body, allow_nan=False).encode() if isinstance(case.body, dict) else b""
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _ordered(schema: Any) -> list[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: any(word in op.label.lower() for word in _LAST_WORDS))


@dataclass
class Outcome:
    failures: dict[str, str] = field(default_factory=dict)
    answered: dict[str, set[int]] = field(default_factory=dict)


def exercise(operation: Any, mode: GenerationMode, world: World, served: str, session: requests.Session,
             outcome: Outcome) -> None:
    """Draw `EXAMPLES` requests of `operation` in `mode` and check each answer; failures go to `outcome`.
    Valid requests name real things (ids, the operator's organization, the hold's token); invalid
    ones are left as drawn, so that what makes them invalid stays."""
    positive = mode is GenerationMode.POSITIVE
    credentials = world.operator if "/admin/" in operation.path else world.buyer
    names = [p.name for p in operation.path_parameters]
    real_ids = {name: world.ids[name] for name in names if name in world.ids} if positive else None
    declared = {p.name for p in operation.headers}
    real_headers = {k: v for k, v in credentials.items() if k in declared}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=real_ids)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy, who=st.sampled_from(["them", "them", "nobody"]))
    def run(case: Any, who: str) -> None:
        headers = {}
        if positive:
            # Drawn for the bearer scheme, a token would be refused: ours is the one a valid request has; so
            # for the operator's organization, the hold's token and Stripe's signature of the body. Changed
            # in place: headers set anew are judged again, and a valid case may then pass for an invalid one.
            if case.headers is None:
                case.headers = {}
            for name in [name for name in case.headers if name.lower() == "authorization"]:
                del case.headers[name]
            case.headers.update(real_headers)
            if "Idempotency-Key" in case.headers:  # a key drawn twice for two bodies is refused: a new one
                case.headers["Idempotency-Key"] = uuid.uuid4().hex
            if operation.path == STRIPE_WEBHOOK:
                case.headers["Stripe-Signature"] = stripe_signature(case, WEBHOOK_SECRET)
            if who == "them":
                headers["Authorization"] = credentials["Authorization"]
        elif who == "them" and "authorization" not in {k.lower() for k in case.headers or {}}:
            headers["Authorization"] = credentials["Authorization"]
        if operation.path == STRIPE_WEBHOOK and who == "them" and not positive:
            headers["Stripe-Signature"] = stripe_signature(case, WEBHOOK_SECRET)
        response = case.call_and_validate(base_url=served, session=session, headers=headers, checks=CHECKS)
        outcome.answered.setdefault(operation.label, set()).add(response.status_code)

    try:
        run()
    except Unsatisfiable:
        return  # nothing of this operation can be drawn wrong (no input, or free text only)
    except (AssertionError, BaseExceptionGroup) as exc:  # Schemathesis' failures; reported all at the end
        outcome.failures[f"{operation.label} ({mode.value})"] = str(exc)[:3000]


@pytest.mark.slow
async def test_every_operation_answers_as_the_document_says(world: World, served: str) -> None:
    async def ready() -> bool:
        async with httpx.AsyncClient() as client:
            try:
                return (await client.get(f"{served}/readyz")).status_code == 200
            except httpx.TransportError:
                return False

    await eventually(ready, within=30, what="the served API")
    schema = schemathesis.openapi.from_url(f"{served}/schema/openapi.json", config=CONFIG)
    assert {op.label for op in _ordered(schema) if "422" in schema.config.checks_config_for(
        operation=op).positive_data_acceptance.expected_statuses} == set(STATED_RULES)
    outcome = Outcome()
    with requests.Session() as session:
        for operation in _ordered(schema):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                exercise(operation, mode, world, served, session, outcome)
    assert not outcome.failures, "\n\n".join(f"== {label}\n{text}" for label, text in outcome.failures.items())


def _stated_rules(document: dict[str, Any]) -> dict[str, str]:
    """Each operation whose 422 names a rule the schema cannot state, with that description."""
    descriptions = {f"{method.upper()} {path}": operation["responses"].get("422", {}).get("description", "")
                    for path, item in document["paths"].items() for method, operation in item.items()
                    if isinstance(operation, dict) and "responses" in operation}
    return {label: text for label, text in descriptions.items() if "cannot state: " in text}


async def test_the_rules_the_schema_cannot_state_are_said_where_a_valid_request_may_meet_them(
    api: httpx.AsyncClient,
) -> None:
    stated = _stated_rules((await api.get("/schema/openapi.json")).json())
    assert set(stated) == set(STATED_RULES)
    for label, rule in STATED_RULES.items():
        assert rule in stated[label], label
