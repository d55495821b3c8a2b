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


# Operations whose document does not yet say everything the server checks, so that a schema-valid
# request may still be a 422: rules the domain enforces by hand (e-mail, password and name rules,
# roles, categories, layout and show drafts, at least one seat), cursors only the API gives out,
# date-times msgspec refuses that JSON Schema allows, NUL characters the edge refuses; the token
# route's and the webhook's bodies (read by hand) are not described; the layout export is only
# "an object". Their failures are printed, not failed on; every other operation must pass every
# check. To be closed one by one.
KNOWN_GAPS = {
    "GET /v1/admin/events",
    "GET /v1/admin/refund-requests",
    "GET /v1/admin/venues/{venue_id}/layouts/{layout_id}",
    "GET /v1/events",
    "GET /v1/orders",
    "PATCH /v1/admin/events/{event_id}",
    "PATCH /v1/admin/organizations/{org_id}",
    "PATCH /v1/admin/organizations/{org_id}/members/{user_id}",
    "PATCH /v1/admin/shows/{show_id}",
    "PATCH /v1/admin/venues/{venue_id}/layouts/{layout_id}",
    "POST /v1/admin/events",
    "POST /v1/admin/events/{event_id}/shows",
    "POST /v1/admin/organizations/{org_id}/members",
    "POST /v1/admin/shows/{show_id}/announcements",
    "POST /v1/admin/shows/{show_id}/seats/block",
    "POST /v1/admin/shows/{show_id}/seats/unblock",
    "POST /v1/admin/venues",
    "POST /v1/admin/venues/{venue_id}/layouts",
    "POST /v1/auth/guest",
    "POST /v1/auth/guest/recover",
    "POST /v1/auth/guest/redeem",
    "POST /v1/auth/password-reset",
    "POST /v1/auth/password-reset/confirm",
    "POST /v1/auth/register",
    "POST /v1/auth/token",
    "POST /v1/payments/stripe/webhook",
    "POST /v1/shows/{show_id}/holds",
    "PUT /v1/admin/shows/{show_id}/refund-policy",
    "PUT /v1/admin/shows/{show_id}/waiting-room",
    "PUT /v1/admin/venues/{venue_id}/layouts/{layout_id}",
}


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
    real_headers = {k: v for k, v in credentials.items() if k in declared} if positive else None
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=real_ids, headers=real_headers)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy, who=st.sampled_from(["them", "them", "nobody"]))
    def run(case: Any, who: str) -> None:
        headers = {}
        if positive:
            # Drawn for the bearer scheme, a token would be refused: ours is the one a valid request has.
            case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
            if who == "them":
                headers["Authorization"] = credentials["Authorization"]
        elif who == "them" and "authorization" not in {k.lower() for k in case.headers or {}}:
            headers["Authorization"] = credentials["Authorization"]
        if operation.path == STRIPE_WEBHOOK and who == "them":
            headers["Stripe-Signature"] = stripe_signature(case, WEBHOOK_SECRET)
        response = case.call_and_validate(base_url=served, session=session, headers=headers, checks=CHECKS)
        outcome.answered.setdefault(operation.label, set()).add(response.status_code)

    try:
        run()
    except Unsatisfiable:
        return  # nothing of this operation can be drawn wrong (no input, or free text only)
    except (AssertionError, BaseExceptionGroup) as exc:  # Schemathesis' failures; reported all at the end
        outcome.failures[f"{operation.label} ({mode.value})"] = str(exc)[:3000]


async def test_every_operation_answers_as_the_document_says(world: World, served: str) -> None:
    async def ready() -> bool:
        async with httpx.AsyncClient() as client:
            try:
                return (await client.get(f"{served}/readyz")).status_code == 200
            except httpx.TransportError:
                return False

    await eventually(ready, within=30, what="the served API")
    schema = schemathesis.openapi.from_url(f"{served}/schema/openapi.json")
    outcome = Outcome()
    with requests.Session() as session:
        for operation in _ordered(schema):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                exercise(operation, mode, world, served, session, outcome)
    known = {label: text for label, text in outcome.failures.items() if label.split(" (")[0] in KNOWN_GAPS}
    unexpected = {label: text for label, text in outcome.failures.items() if label not in known}
    print(f"known gaps that failed ({len(known)}):", sorted(known))
    assert not unexpected, "\n\n".join(f"== {label}\n{text}" for label, text in unexpected.items())
