"""Seating's HTTP routes: holds (place, extend, release), the seat map, availability and its stream."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import SerializationException, ValidationException
from litestar.params import FromPath
from litestar.response import ServerSentEvent
from litestar.types import ASGIApp, Scope

from lml.platform.domain.buyer_limit import limit_key
from lml.platform.domain.errors import BrokenInvariant, DomainError
from lml.platform.domain.principal import BUYER_SCOPE, Principal
from lml.platform.domain.rate_budget import RateBill
from lml.platform.http.answer import json_answer, not_modified
from lml.platform.http.auth import bearer_principal, client_network_of, requires_scope, scope_checked
from lml.platform.http.contract import contract, route_contract
from lml.platform.http.hot_lane import HotRequest, hot_lane
from lml.platform.http.idempotency import idempotent
from lml.platform.http.json_body import decode_json, json_body
from lml.platform.http.problems import domain_error_answer
from lml.platform.http.rate_limits import general_limit_in_store_of, rate_bill, rate_limited
from lml.platform.http.request_headers import header
from lml.platform.rate_limit import RateLimit
from lml.seating.application.change_hold import extend_hold, release_hold
from lml.seating.application.place_hold import place_hold
from lml.seating.application.read_availability import read_availability, read_availability_since
from lml.seating.domain.availability import Availability, AvailabilityChange
from lml.seating.domain.best_available import MAX_QUANTITY, MAX_SECTIONS, BestAvailable
from lml.seating.domain.hold import (
    MAX_SEATS_PER_REQUEST,
    MAX_ZONE_QUANTITY,
    MAX_ZONES_PER_REQUEST,
    SEAT_ID_PATTERN,
    ZONE_ID_PATTERN,
    Holder,
    HoldRequest,
)
from lml.seating.infrastructure.seatmap import SeatMap
from lml.seating.infrastructure.services import SeatingServices
from lml.seating.infrastructure.sse import availability_events

AnyRequest = Request[Any, Any, Any]

# A person picking seats: a burst of tries, then one a second; a script gets no further.
PLACE_HOLDS = RateLimit(capacity=20, refill_per_second=1.0)
CHANGE_HOLDS = RateLimit(capacity=30, refill_per_second=1.0)
SEATMAP_MAX_AGE = 24 * 3600
_SEATMAP_CACHING = (b"cache-control", f"public, max-age={SEATMAP_MAX_AGE}".encode())
_REVALIDATE = (b"cache-control", b"no-cache")
_NO_STORE = (b"cache-control", b"no-store")


BUYERS_ONLY = [requires_scope(BUYER_SCOPE)]
# Extend and release are fenced by the hold token: 412 without it or with another.
# What a hold valid per the schema must still meet (a 422 otherwise), as the document says.
HOLD_RULE = ("the show is on sale; the seats, GA zones, sections and price tier named are the show's, none"
             " blocked; the buyer stays within the show's seats per buyer; no seat left free on its own where the"
             " show does not allow it")
HOLD_TOKEN = contract(412, reads=("If-Match",))
# A representation with an ETag: 304 when If-None-Match still names it.
CONDITIONAL = contract(304, reads=("If-None-Match",), sends=("ETag", "Cache-Control"))
# What Schemathesis and clients validate is each event's data: a snapshot or a change.
AVAILABILITY_EVENTS = (Availability, AvailabilityChange, {"description": (
    "Server-Sent Events. `event: snapshot`: the data is an `Availability` (as from GET .../availability)."
    " `event: change`: the data is an `AvailabilityChange` (seats with their new status code, zones with"
    " their places left; `reset: true`: read a fresh snapshot). Each event has an `id`; send it back as"
    " `Last-Event-ID` to resume. A comment line comes every LML_SSE_HEARTBEAT_SECONDS when nothing changes.")})


def _owner(request: AnyRequest) -> str:
    principal = bearer_principal(request)
    return principal.owner


def _holder(principal: Principal, scope: Scope) -> Holder:
    return Holder(owner=principal.owner,
                  limit_key=limit_key(principal.kind, principal.subject, principal.email),
                  address=client_network_of(scope), guest=principal.kind == "guest")


def _etag(version: str) -> str:
    return f'"{version}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _token(if_match: str | None) -> str | None:
    """The hold token from `If-Match`, bare or quoted like an entity tag."""
    if if_match is None:
        return None
    return if_match.strip().removeprefix("W/").strip('"') or None


def _rules(**schema: Any) -> msgspec.Meta:
    """The domain's rules for a field, as the document states them (the domain checks them)."""
    return msgspec.Meta(extra_json_schema=schema)


class BestAvailableBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    quantity: Annotated[int, _rules(minimum=1, maximum=MAX_QUANTITY, examples=[2])]
    tier_id: Annotated[str, _rules(minLength=1, maxLength=64)] | None = None
    sections: Annotated[list[Annotated[str, _rules(minLength=1, maxLength=32)]], _rules(maxItems=MAX_SECTIONS)] = []
    together: bool = True


_SEAT_IDS = {"required": ["seat_ids"], "properties": {"seat_ids": {"minItems": 1}}}
_BEST = {"required": ["best_available"], "properties": {"best_available": {"type": "object"}}}


class HoldBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    seat_ids: Annotated[list[Annotated[str, _rules(pattern=SEAT_ID_PATTERN)]], _rules(
        maxItems=MAX_SEATS_PER_REQUEST, uniqueItems=True, examples=[["3f9a1c0b7d2e4a65", "3f9a1c0b7d2e4a66"]])] = []
    zones: Annotated[dict[str, Annotated[int, _rules(minimum=1, maximum=MAX_ZONE_QUANTITY)]], _rules(
        propertyNames={"pattern": ZONE_ID_PATTERN}, maxProperties=MAX_ZONES_PER_REQUEST,
        examples=[{"floor": 2}])] = {}
    # Instead of `seat_ids`: the server picks the best seats free now.
    best_available: BestAvailableBody | None = None


# At least one seat, GA place or best-available pick; not both seats and a best-available pick.
HoldRequestBody = Annotated[HoldBody, _rules(
    anyOf=[_SEAT_IDS, {"required": ["zones"], "properties": {"zones": {"minProperties": 1}}}, _BEST],
    **{"not": {"allOf": [_SEAT_IDS, _BEST]}})]


class SeatLabelOut(msgspec.Struct, frozen=True):
    seat_id: str
    label: str | None


class HoldOut(msgspec.Struct, frozen=True, omit_defaults=True):
    hold_id: str
    hold_token: str
    show_id: str
    expires_at: datetime
    max_expires_at: datetime
    seats: tuple[str, ...]
    zones: dict[str, int]
    # A best-available hold's seats with their labels ("Stalls, row C, seat 12"), in `seats`' order.
    seat_labels: list[SeatLabelOut] | None = None


class ExtendedOut(msgspec.Struct, frozen=True):
    hold_id: str
    expires_at: datetime
    max_expires_at: datetime


def _hold_request(data: HoldBody) -> HoldRequest:
    best = data.best_available
    return HoldRequest.parse(
        data.seat_ids, data.zones,
        None if best is None else BestAvailable(quantity=best.quantity, tier_id=best.tier_id,
                                                sections=tuple(best.sections), together=best.together),
    )


async def _placed_answer(scope: Scope, seating: SeatingServices, show_id: str, principal: Principal, data: HoldBody,
                         hold_request: HoldRequest, bill: RateBill | None) -> ASGIApp:
    placed = await place_hold(seating.holding, show_id=show_id, holder=_holder(principal, scope),
                              request=hold_request, queue_pass=header(scope, b"x-queue-pass"), bill=bill)
    if isinstance(placed, DomainError):
        return domain_error_answer(scope, placed)
    labels = None
    if data.best_available is not None:
        described = await seating.places.labels(show_id, placed.seat_ids)
        labels = [SeatLabelOut(seat_id, described.get(seat_id)) for seat_id in placed.seat_ids]
    body = HoldOut(placed.hold_id, placed.hold_token, placed.show_id, placed.expires_at, placed.max_expires_at,
                   placed.seat_ids, placed.zones, labels)
    return json_answer(201, body, [(b"location", f"/v1/holds/{placed.hold_id}".encode()), _NO_STORE])


def _plain_hold(body: bytes) -> tuple[HoldBody, HoldRequest] | None:
    """A hold's body the lane serves; None for one the full path refuses (with its problem)."""
    try:
        data: HoldBody = decode_json(body, HoldRequestBody)
        return data, _hold_request(data)
    except (SerializationException, ValidationException, RecursionError, DomainError):
        return None


async def _place_plain(request: HotRequest, seating: SeatingServices) -> ASGIApp:
    data, hold_request = request.parsed
    return await _placed_answer(request.scope, seating, request.params["show_id"], request.checked_principal, data,
                                hold_request, request.bill)


@post(
    "/v1/shows/{show_id:str}/holds",
    operation_id="createHold",
    # The answer's type is stated here: the handler answers a refusal as a problem, without raising.
    # The body is read by the handler (`json_body`: a hold skips Litestar's kwargs), so stated here.
    opt={**route_contract(contract(409, reads=("X-Queue-Pass",), sends=("Location", "Cache-Control"),
                                   body={"application/json": HoldOut},
                                   json_body=HoldRequestBody, rule=HOLD_RULE)),
         **hot_lane(_place_plain, parse=_plain_hold)},
    status_code=201,
    # The hold script spends the rate budgets: they are the buyer's for this show (see README, "Rate limits").
    # The buyers-only check last, where a guard would run.
    middleware=[rate_limited("seating:holds", PLACE_HOLDS, in_store_of="show_id"), idempotent,
                scope_checked(BUYER_SCOPE)],
    tags=["seating"],
    summary="Hold seats and GA places of a show: all or none (X-Queue-Pass while its waiting room is on)",
)
async def place(
    request: AnyRequest, seating: NamedDependency[SeatingServices], show_id: FromPath[str]
) -> ASGIApp:
    data: HoldBody = await json_body(request.receive, HoldRequestBody)
    return await _placed_answer(request.scope, seating, show_id, bearer_principal(request), data,
                                _hold_request(data), rate_bill(request))


@patch(
    "/v1/holds/{hold_id:str}",
    operation_id="extendHold",
    opt=route_contract(HOLD_TOKEN),
    guards=BUYERS_ONLY,
    middleware=[rate_limited("seating:hold-changes", CHANGE_HOLDS)],
    tags=["seating"],
    summary="Extend a hold (If-Match: <hold_token>), up to its cap on total life",
)
async def extend(request: AnyRequest, seating: NamedDependency[SeatingServices], hold_id: FromPath[str]) -> ExtendedOut:
    extended = await extend_hold(seating.holding, hold_id=hold_id, owner=_owner(request),
                                 token=_token(request.headers.get("if-match")))
    return ExtendedOut(extended.hold_id, extended.expires_at, extended.max_expires_at)


@delete(
    "/v1/holds/{hold_id:str}",
    operation_id="releaseHold",
    opt=route_contract(HOLD_TOKEN),
    guards=BUYERS_ONLY,
    middleware=[rate_limited("seating:hold-changes", CHANGE_HOLDS)],
    tags=["seating"],
    summary="Release a hold (If-Match: <hold_token>)",
)
async def release(request: AnyRequest, seating: NamedDependency[SeatingServices], hold_id: FromPath[str]) -> None:
    await release_hold(seating.holding, hold_id=hold_id, owner=_owner(request),
                       token=_token(request.headers.get("if-match")))


async def _seatmap_answer(scope: Scope, seating: SeatingServices, show_id: str) -> ASGIApp:
    seatmaps = seating.seatmaps
    current = _etag(await seatmaps.version(show_id))
    if _matches(header(scope, b"if-none-match"), current):
        return not_modified([_SEATMAP_CACHING, (b"etag", current.encode())])
    version, body = await seatmaps.body(show_id)
    return json_answer(200, body, [_SEATMAP_CACHING, (b"etag", _etag(version).encode())])


async def _seatmap_plain(request: HotRequest, seating: SeatingServices) -> ASGIApp:
    return await _seatmap_answer(request.scope, seating, request.params["show_id"])


@get("/v1/shows/{show_id:str}/seatmap", operation_id="getSeatMap",
     opt={**route_contract(CONDITIONAL | contract(body={"application/json": SeatMap})), **hot_lane(_seatmap_plain)},
     tags=["seating"], summary="The show's seat map: geometry, tiers, prices")
async def seatmap(request: AnyRequest, seating: NamedDependency[SeatingServices], show_id: FromPath[str]) -> ASGIApp:
    return await _seatmap_answer(request.scope, seating, show_id)


async def _availability_answer(scope: Scope, seating: SeatingServices, show_id: str, bill: RateBill | None) -> ASGIApp:
    cached = seating.availability_bodies.get(show_id)
    found = await read_availability_since(seating.holding, show_id=show_id,
                                          known_version=None if cached is None else cached[0], bill=bill)
    if isinstance(found, DomainError):
        return domain_error_answer(scope, found)
    if isinstance(found, Availability):
        cached = seating.availability_bodies.put(found)
    elif cached is None:
        raise BrokenInvariant("only a known version is answered with a version")
    version, body = cached
    etag = _etag(version)
    headers = [(b"etag", etag.encode()), _REVALIDATE]
    if _matches(header(scope, b"if-none-match"), etag):
        return not_modified(headers)
    return json_answer(200, body, headers)


async def _availability_plain(request: HotRequest, seating: SeatingServices) -> ASGIApp:
    return await _availability_answer(request.scope, seating, request.params["show_id"], request.bill)


@get("/v1/shows/{show_id:str}/availability", operation_id="getAvailability",
     opt={**route_contract(CONDITIONAL | contract(body={"application/json": Availability})),
          **hot_lane(_availability_plain)},
     tags=["seating"],
     # The snapshot script spends the general budget: a reader's is their own per show (README, "Rate limits").
     middleware=[general_limit_in_store_of("show_id")],
     summary="Every seat's status (one character per seat, seat map order) and each GA zone's places left")
async def availability(
    request: AnyRequest, seating: NamedDependency[SeatingServices], show_id: FromPath[str]
) -> ASGIApp:
    return await _availability_answer(request.scope, seating, show_id, rate_bill(request))


@get("/v1/shows/{show_id:str}/availability/stream", operation_id="streamAvailability",
     opt=route_contract(contract(reads=("Last-Event-ID",), sends=("Cache-Control",),
                                 body={"text/event-stream": AVAILABILITY_EVENTS})), tags=["seating"],
     summary="Server-Sent Events of availability changes (snapshot, then changes; Last-Event-ID resumes)")
async def availability_stream(
    request: AnyRequest, seating: NamedDependency[SeatingServices], show_id: FromPath[str]
) -> ServerSentEvent:
    await seating.terms.terms(show_id)

    async def snapshot() -> Availability:
        return await read_availability(seating.holding, show_id=show_id)

    events = availability_events(seating.hub, seating.store, show_id, snapshot,
                                 request.headers.get("last-event-id"), heartbeat_seconds=seating.heartbeat_seconds)
    return ServerSentEvent(events, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


router = Router(path="/", route_handlers=[place, extend, release, seatmap, availability, availability_stream])
