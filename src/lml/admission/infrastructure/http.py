"""The waiting room over HTTP: operators set and watch a show's room; buyers join its line and ask
for their place (the pass, once admitted)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.types import ASGIApp, Scope

from lml.admission.application.configure_room import configure_room, set_paused
from lml.admission.application.line_places import join_line, my_place
from lml.admission.application.room_status import RoomStatus, room_status
from lml.admission.domain.entry import QueueEntry
from lml.admission.domain.room import (
    ADMIT_PER_MINUTE_MAX,
    MAX_ACTIVE_MAX,
    PASS_SECONDS_DEFAULT,
    PASS_SECONDS_MAX,
    PASS_SECONDS_MIN,
)
from lml.admission.infrastructure.services import AdmissionServices
from lml.identity.facade import READERS, WRITERS, OperatorAccess, current_operator, operator_in
from lml.platform.domain.buyer_limit import limit_key
from lml.platform.domain.date_time import OffsetDateTime
from lml.platform.domain.principal import BUYER_SCOPE, Principal
from lml.platform.domain.rate_budget import RateBill
from lml.platform.http.answer import json_answer
from lml.platform.http.auth import bearer_principal, requires_scope
from lml.platform.http.contract import contract, route_contract
from lml.platform.http.hot_lane import HotRequest, hot_lane
from lml.platform.http.kit import kit_in
from lml.platform.http.rate_limits import (
    address_of,
    general_limit_in_store_of,
    rate_bill,
    rate_limited,
    route_bill,
)
from lml.platform.rate_limit import RateLimit

AnyRequest = Request[Any, Any, Any]
Admission = NamedDependency[AdmissionServices]
Operator = NamedDependency[OperatorAccess]

# Buyers are told when to ask again; a client that asks far more often is refused.
POLLS_PER_BUYER = RateLimit(capacity=10, refill_per_second=1.0)


class RoomBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    enabled: bool
    opens_at: OffsetDateTime
    admit_per_minute: Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 1, "maximum": ADMIT_PER_MINUTE_MAX},
                                                  examples=[600])]
    max_active: Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 1, "maximum": MAX_ACTIVE_MAX},
                                            examples=[2000])]
    pass_seconds: Annotated[int, msgspec.Meta(extra_json_schema={"minimum": PASS_SECONDS_MIN,
                                                                 "maximum": PASS_SECONDS_MAX})] = PASS_SECONDS_DEFAULT


def _buyer(principal: Principal) -> str:
    """Who holds a place in line: a user, or a guest counted by email (a second guest session with the
    same email is the same buyer, as for the show's limit of seats)."""
    return limit_key(principal.kind, principal.subject, principal.email)


def _answer(entry: QueueEntry, status_code: int) -> ASGIApp:
    # A prepared answer (`lml.platform.http.answer`): join and poll are a waiting room's hot routes.
    return json_answer(status_code, entry, [(b"retry-after", str(entry.poll_after_seconds).encode()),
                                            (b"cache-control", b"no-store")])


async def _status(admission: AdmissionServices, operator: OperatorAccess, show_id: str) -> RoomStatus:
    return await room_status(admission.as_organization(operator.org_id), admission.shows, admission.line,
                             admission.clock, show_id=show_id, organization_id=operator.org_id)


@put("/v1/admin/shows/{show_id:uuid}/waiting-room", operation_id="setWaitingRoom", guards=[operator_in(WRITERS)],
     opt=route_contract(contract(rule="the room opens no later than the show's sale, or now once the sale is open")),
     summary="Set the show's waiting room: on or off, when it opens, its pace, its active passes, their life")
async def set_room(
    admission: Admission, operator: Operator, show_id: FromPath[uuid.UUID], data: JSONBody[RoomBody]
) -> RoomStatus:
    await configure_room(
        admission.as_organization(operator.org_id), admission.shows, admission.line, admission.clock,
        show_id=str(show_id), organization_id=operator.org_id, enabled=data.enabled, opens_at=data.opens_at,
        admit_per_minute=data.admit_per_minute, max_active=data.max_active, pass_seconds=data.pass_seconds,
    )
    admission.rooms.forget(str(show_id))
    return await _status(admission, operator, str(show_id))


@get("/v1/admin/shows/{show_id:uuid}/waiting-room", operation_id="getWaitingRoom", guards=[operator_in(READERS)],
     summary="The show's waiting room: its settings and its line as it is now")
async def get_room(admission: Admission, operator: Operator, show_id: FromPath[uuid.UUID]) -> RoomStatus:
    return await _status(admission, operator, str(show_id))


async def _pause(admission: AdmissionServices, operator: OperatorAccess, show_id: str, paused: bool) -> RoomStatus:
    await set_paused(admission.as_organization(operator.org_id), admission.shows, admission.line, admission.clock,
                     show_id=show_id, organization_id=operator.org_id, paused=paused)
    return await _status(admission, operator, show_id)


@post("/v1/admin/shows/{show_id:uuid}/waiting-room/pause", operation_id="pauseWaitingRoom",
      status_code=200, guards=[operator_in(WRITERS)],
      summary="Admit nobody until resumed (those waiting are told the room is paused)")
async def pause(admission: Admission, operator: Operator, show_id: FromPath[uuid.UUID]) -> RoomStatus:
    return await _pause(admission, operator, str(show_id), True)


@post("/v1/admin/shows/{show_id:uuid}/waiting-room/resume", operation_id="resumeWaitingRoom",
      status_code=200, guards=[operator_in(WRITERS)],
      summary="Admit buyers again at the room's pace")
async def resume(admission: Admission, operator: Operator, show_id: FromPath[uuid.UUID]) -> RoomStatus:
    return await _pause(admission, operator, str(show_id), False)


async def _joined(scope: Scope, admission: AdmissionServices, show_id: str, principal: Principal,
                  bill: RateBill | None) -> ASGIApp:
    # The join script spends both budgets, the request's general one (`bill`: its decision gives the
    # answer's RateLimit-* headers) then the client address's joins, in the one call a join makes; both
    # carry the show's hash tag, so the address's joins are counted per show.
    joins = route_bill(kit_in(scope).limiter, "admission:joins", admission.joins_per_address, address_of(scope),
                       tag=show_id)
    bills = (joins,) if bill is None else (bill, joins)
    entry, new = await join_line(admission.desk, show_id=show_id, buyer=_buyer(principal), bills=bills)
    return _answer(entry, 201 if new else 200)


async def _join_plain(request: HotRequest, admission: AdmissionServices) -> ASGIApp:
    return await _joined(request.scope, admission, str(request.params["show_id"]), request.checked_principal,
                         request.bill)


# The answers are prepared (`_answer`): their body is stated in the contract.
@post("/v1/shows/{show_id:uuid}/queue", operation_id="joinQueue",
      opt={**route_contract(contract(200, 409, 429, json_answer=QueueEntry)), **hot_lane(_join_plain)},
      guards=[requires_scope(BUYER_SCOPE)], middleware=[general_limit_in_store_of("show_id")],
      summary="Join the show's waiting room line (once: joining again answers the same place)")
async def join(request: AnyRequest, admission: Admission, show_id: FromPath[uuid.UUID]) -> ASGIApp:
    return await _joined(request.scope, admission, str(show_id), bearer_principal(request), rate_bill(request))


async def _place_of(admission: AdmissionServices, show_id: str, principal: Principal, bill: RateBill | None
                    ) -> ASGIApp:
    # The place script spends the request's budgets (`bill`: the caller's general one, then the poll
    # budget, both tagged with the show) in the one call a poll makes.
    bills = () if bill is None else (bill,)
    entry = await my_place(admission.desk, show_id=show_id, buyer=_buyer(principal), bills=bills)
    return _answer(entry, 200)


async def _poll_plain(request: HotRequest, admission: AdmissionServices) -> ASGIApp:
    return await _place_of(admission, str(request.params["show_id"]), request.checked_principal, request.bill)


@get("/v1/shows/{show_id:uuid}/queue/me", operation_id="getQueuePosition", guards=[requires_scope(BUYER_SCOPE)],
     middleware=[rate_limited("admission:polls", POLLS_PER_BUYER, in_store_of="show_id")],
     opt={**route_contract(contract(json_answer=QueueEntry)), **hot_lane(_poll_plain)},
     summary="Your place in the show's line; once admitted, the pass to hold seats with (X-Queue-Pass)")
async def me(request: AnyRequest, admission: Admission, show_id: FromPath[uuid.UUID]) -> ASGIApp:
    return await _place_of(admission, str(show_id), bearer_principal(request), rate_bill(request))


router = Router(path="/", route_handlers=[set_room, get_room, pause, resume, join, me],
                dependencies={"operator": Provide(current_operator)}, tags=["admission"])
