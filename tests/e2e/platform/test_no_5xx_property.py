"""Whatever a caller sends to the public and buyer routes, the answer is never a 5xx, and every error
is an RFC 9457 problem. Hypothesis draws the route, the ids in its path (real ones, their upper-case
spelling, other uuids, any text), query parameters and JSON bodies (odd unicode, NUL, huge numbers,
deep nesting, wrong types, the right fields with wrong values), with a valid buyer token, a forged
one, or none; against the real app on the real stores."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.platform.buyer_world import buyer_world
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.seating import MakeBuyer

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class World:
    """Real things for the drawn requests to name, so they get past "not found" too."""

    show_id: str
    event_id: str
    seat_ids: list[str]
    hold_id: str
    hold_token: str
    order_id: str


@pytest.fixture
async def world(api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer) -> World:
    made = await buyer_world(api, make_show_on_sale, make_buyer, seats=20)
    show = made.show
    return World(show_id=show.show_id, event_id=show.event_id, seat_ids=show.seat_ids, hold_id=made.hold.hold_id,
                 hold_token=made.hold.hold_token, order_id=made.order_id)


# --- What a caller may send

ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(max_size=20).map(lambda text: text[:3] + "\u0000" + text[3:]),  # PostgreSQL stores no NUL
    st.sampled_from(["", " ", "\ud7ff\ue000", "\u202e", "😀" * 50, "../..", "%00", "null", "9" * 5000, "-1",
                     "1e309", "0x10", "2030-02-30T25:61:61Z", "9999-12-31T23:59:59-14:00",
                     "0001-01-01T00:00:00+14:00"]),
)
NUMBERS = st.one_of(st.integers(), st.integers(min_value=2**63, max_value=2**200), st.floats(allow_nan=True),
                    st.sampled_from([0, -1, 10**30]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, ODD_TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(ODD_TEXT, inner, max_size=4)),
                           max_leaves=12)


def ids(world: World, likely: str) -> st.SearchStrategy[str]:
    """Mostly the id the route expects (as given or upper-case), else another real one, a uuid, any text."""
    real = [world.show_id, world.event_id, world.hold_id, world.order_id]
    return st.one_of(st.just(likely), st.just(likely.upper()), st.sampled_from(real), st.uuids().map(str), ODD_TEXT)


def bodies(world: World, fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    """A route's own fields (each present or not, right or wrong), any JSON at all, or no JSON."""
    own = st.fixed_dictionaries({}, optional={name: st.one_of(right, JSON_VALUES) for name, right in fields.items()})
    deep = st.integers(1, 100_000).map(lambda depth: b"[" * depth + b"]" * depth)
    own_json = own.map(lambda doc: json.dumps(doc).encode())
    return st.one_of(
        own_json,
        own_json,
        JSON_VALUES.map(lambda doc: json.dumps(doc).encode()),
        deep,
        st.binary(max_size=64),
    )


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


@st.composite
def calls(draw: st.DrawFn, world: World) -> Call:
    seat_ids = st.lists(st.one_of(st.sampled_from(world.seat_ids), ODD_TEXT), max_size=5)
    visible_ascii = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300)
    # The routes that take the most free-form input come up more often.
    choice = draw(st.sampled_from([
        "events", "events", "events", "event", "show", "seatmap", "availability", "hold", "hold", "extend",
        "release", "order", "order", "orders", "an-order", "cancel", "tickets", "guest", "register", "token", "me",
    ]))
    likely = world.event_id if choice == "event" else world.hold_id if choice in ("extend", "release") else \
        world.order_id if choice in ("an-order", "cancel", "tickets") else world.show_id
    some_id = quote(draw(ids(world, likely)), safe="")
    if choice == "events":
        known = st.sampled_from(["from", "to", "city", "category", "q", "cursor", "limit"])
        names = st.one_of(known, known, ODD_TEXT)
        query = draw(st.lists(st.tuples(names, st.one_of(ODD_TEXT, ODD_TEXT, NUMBERS.map(str))), max_size=4))
        return Call("GET", f"/v1/events?{urlencode(query)}")
    if choice in ("event", "show", "seatmap", "availability"):
        path = {"event": "/v1/events/{}", "show": "/v1/shows/{}", "seatmap": "/v1/shows/{}/seatmap",
                "availability": "/v1/shows/{}/availability"}[choice]
        return Call("GET", path.format(some_id))
    if choice == "hold":
        body = draw(bodies(world, {"seat_ids": seat_ids, "zones": st.dictionaries(
            st.one_of(st.just("floor"), ODD_TEXT), st.one_of(st.integers(-5, 100), NUMBERS), max_size=3)}))
        key = draw(st.one_of(st.none(), visible_ascii))
        return Call("POST", f"/v1/shows/{some_id}/holds", body, (("Idempotency-Key", key),) if key is not None else ())
    if choice in ("extend", "release"):
        if_match = draw(st.one_of(st.just(world.hold_token), visible_ascii))
        return Call("PATCH" if choice == "extend" else "DELETE", f"/v1/holds/{some_id}", None,
                    (("If-Match", if_match),))
    if choice == "order":
        body = draw(bodies(world, {"hold_id": st.one_of(st.just(world.hold_id), ODD_TEXT),
                                   "hold_token": st.one_of(st.just(world.hold_token), ODD_TEXT)}))
        key = draw(st.one_of(st.none(), visible_ascii))
        return Call("POST", "/v1/orders", body, (("Idempotency-Key", key),) if key is not None else ())
    if choice == "orders":
        return Call("GET", "/v1/orders")
    if choice in ("an-order", "cancel", "tickets"):
        suffix = {"an-order": "", "cancel": "/cancel", "tickets": "/tickets"}[choice]
        return Call("POST" if choice == "cancel" else "GET", f"/v1/orders/{some_id}{suffix}")
    if choice in ("guest", "register"):
        return Call("POST", f"/v1/auth/{choice}", draw(bodies(world, {
            "email": st.one_of(st.emails(), ODD_TEXT), "name": ODD_TEXT, "password": ODD_TEXT})))
    if choice == "token":
        return Call("POST", "/v1/auth/token", draw(bodies(world, {
            "grant_type": st.one_of(st.sampled_from(["password", "refresh_token"]), ODD_TEXT),
            "email": ODD_TEXT, "password": ODD_TEXT, "refresh_token": ODD_TEXT})))
    return Call("GET", "/v1/me")


@settings(max_examples=500, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
async def test_no_request_to_a_public_or_buyer_route_is_answered_5xx(
    api: httpx.AsyncClient, world: World, make_buyer: MakeBuyer, data: st.DataObject
) -> None:
    call = data.draw(calls(world), label="call")
    auth = data.draw(st.sampled_from(["buyer", "buyer", "buyer", "forged", "none"]), label="auth")
    headers = dict(call.headers)
    if call.body is not None:
        headers["Content-Type"] = "application/json"
    if auth == "buyer":
        headers.update(make_buyer().headers)
    elif auth == "forged":
        headers["Authorization"] = f"Bearer {make_buyer().token[:-4]}AAAA"

    response = await api.request(call.method, call.path, content=call.body, headers=headers)

    assert response.status_code < 500, f"{call} -> {response.status_code} {response.text[:500]}"
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM_JSON, response.text[:500]
