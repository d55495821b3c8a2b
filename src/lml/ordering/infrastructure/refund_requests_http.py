"""Refunds on request over HTTP: each show's refund policy (operators), buyers asking for a refund of
their order or some of its tickets, and the operators' queue where requests are approved or declined."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Router, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from lml.identity import facade as identity
from lml.ordering.application.refund_requests import (
    approve_refund_request,
    buyer_refund_requests,
    decline_refund_request,
    request_refund,
    set_show_policy,
)
from lml.ordering.domain.refund_policy import (
    DEFAULT_POLICY,
    MAX_HOURS_BEFORE,
    MAX_TIERS,
    RefundPolicy,
    RefundTier,
)
from lml.ordering.domain.refund_request import RefundRequest
from lml.ordering.infrastructure import queries
from lml.ordering.infrastructure.http_access import (
    REFUND_ROLES,
    REPORT_ROLES,
    AnyRequest,
    authenticated,
    buyer_guard,
    buyer_of,
    operator_of,
)
from lml.ordering.infrastructure.keyset_cursor import CursorQuery, decode_cursor, encode_cursor
from lml.ordering.infrastructure.services import OrderingServices
from lml.platform.http.contract import contract, route_contract
from lml.platform.http.idempotency import idempotent
from lml.platform.ids import new_id

_Note = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]


class TierBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Each tier's `hours_before` its own; the closer the show, the smaller the percent (checked)."""

    hours_before: Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 0, "maximum": MAX_HOURS_BEFORE},
                                              examples=[168])]
    percent: Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 0, "maximum": 100}, examples=[100])]


class PolicyBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    tiers: Annotated[list[TierBody], msgspec.Meta(max_length=MAX_TIERS, extra_json_schema={"minItems": 1})]
    fees_refundable: bool = False


class PolicyOut(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    tiers: list[RefundTier]  # in decreasing hours_before; later than the last tier: nothing back
    fees_refundable: bool
    is_default: bool  # the operator set none: the default applies

    @classmethod
    def of(cls, show_id: str, policy: RefundPolicy, *, is_default: bool) -> PolicyOut:
        return cls(show_id=show_id, tiers=list(policy.tiers), fees_refundable=policy.fees_refundable,
                   is_default=is_default)


async def _show_of_operator(
    request: AnyRequest, ordering: OrderingServices, roles: tuple[str, ...], show_id: str
) -> identity.OperatorAccess:
    """The operator's access, once the show is known to be one of their organization's (404 otherwise)."""
    access = await operator_of(request, roles)
    async with ordering.resources.db.unit_of_work(org_id=access.org_id) as uow:
        await ordering.shows.sale_status_in(uow, show_id)
    return access


@get("/v1/admin/shows/{show_id:uuid}/refund-policy", operation_id="getRefundPolicy",
     guards=[authenticated], tags=["ordering"],
     summary="The show's refund policy (the default when none was set)")
async def get_policy(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], show_id: FromPath[uuid.UUID]
) -> PolicyOut:
    access = await _show_of_operator(request, ordering, REPORT_ROLES, str(show_id))
    async with ordering.as_organization(access.org_id)() as tx:
        own = await tx.policies.get(str(show_id))
    return PolicyOut.of(str(show_id), own or DEFAULT_POLICY, is_default=own is None)


@put("/v1/admin/shows/{show_id:uuid}/refund-policy", operation_id="setRefundPolicy",
     guards=[authenticated], tags=["ordering"],
     opt=route_contract(contract(rule="no two tiers at the same hours_before, and a tier nearer the show gives"
                                      " back no more than one further from it")),
     summary="Set the show's refund policy: percent of the price back by hours before the show")
async def put_policy(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], show_id: FromPath[uuid.UUID],
    data: JSONBody[PolicyBody],
) -> PolicyOut:
    policy = RefundPolicy.checked([RefundTier(t.hours_before, t.percent) for t in data.tiers], data.fees_refundable)
    access = await _show_of_operator(request, ordering, REFUND_ROLES, str(show_id))
    await set_show_policy(transaction=ordering.as_organization(access.org_id), clock=ordering.clock,
                          operator=f"operator:{access.user_id}", show_id=str(show_id), organization_id=access.org_id,
                          policy=policy)
    return PolicyOut.of(str(show_id), policy, is_default=False)


class RefundRequestBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # None: every valid ticket of the order.
    ticket_ids: Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=100)] | None = None
    reason: _Note | None = None


class RefundRequestOut(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    order_id: str
    show_id: str
    status: Literal["pending", "approved", "declined"]
    ticket_ids: list[str]
    percent: int  # of the tickets' price, by the show's refund policy when asked
    amount: int  # minor units
    currency: str
    reason: str | None
    created_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    refund_id: str | None

    @classmethod
    def of(cls, r: RefundRequest) -> RefundRequestOut:
        return cls(request_id=r.request_id, order_id=r.order_id, show_id=r.show_id, status=r.status,
                   ticket_ids=list(r.ticket_ids), percent=r.percent, amount=r.amount, currency=r.currency,
                   reason=r.reason, created_at=r.created_at, decided_at=r.decided_at,
                   decision_note=r.decision_note, refund_id=r.refund_id)


class RefundRequestList(msgspec.Struct, frozen=True):
    requests: list[RefundRequestOut]


@post("/v1/orders/{order_id:uuid}/refund-requests", operation_id="requestRefund",
      status_code=201, guards=[buyer_guard], middleware=[idempotent],
      tags=["ordering"], summary="Ask for a refund of the order or some of its tickets (priced by the show's policy)")
async def ask(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], order_id: FromPath[uuid.UUID],
    data: JSONBody[RefundRequestBody],
) -> RefundRequestOut:
    asked = await request_refund(transaction=ordering.transaction, clock=ordering.clock, new_id=new_id,
                                 buyer=buyer_of(request), order_id=str(order_id), ticket_ids=data.ticket_ids,
                                 reason=data.reason.strip() if data.reason else None)
    return RefundRequestOut.of(asked)


@get("/v1/orders/{order_id:uuid}/refund-requests", operation_id="listMyRefundRequests",
     guards=[buyer_guard], tags=["ordering"],
     summary="The refund requests of one of the caller's orders, newest first")
async def mine(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], order_id: FromPath[uuid.UUID]
) -> RefundRequestList:
    requests = await buyer_refund_requests(ordering.transaction, buyer_of(request), str(order_id))
    return RefundRequestList([RefundRequestOut.of(r) for r in requests])


class QueuedRequestOut(RefundRequestOut, frozen=True, kw_only=True):
    buyer_email: str | None
    buyer_name: str | None
    decided_by: str | None


class RefundRequestPage(msgspec.Struct, frozen=True):
    requests: list[QueuedRequestOut]
    next_cursor: str | None


@get("/v1/admin/refund-requests", operation_id="listRefundRequests", guards=[authenticated], tags=["ordering"],
     summary="The organization's refund requests, oldest first (status=pending: the queue to decide)")
async def queue(
    request: AnyRequest, ordering: NamedDependency[OrderingServices],
    status: Annotated[Literal["pending", "approved", "declined"] | None, QueryParameter(required=False)] = None,
    show_id: Annotated[uuid.UUID | None, QueryParameter(required=False)] = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> RefundRequestPage:
    access = await operator_of(request, REPORT_ROLES)
    after = decode_cursor(cursor) if cursor else None
    async with ordering.resources.db.unit_of_work(org_id=access.org_id) as uow:
        page = await queries.refund_requests_page(uow.conn, status=status, show_id=str(show_id) if show_id else None,
                                                  after=after, limit=limit)
    items = [QueuedRequestOut(**msgspec.structs.asdict(RefundRequestOut.of(r)), buyer_email=r.buyer.email,
                              buyer_name=r.buyer.name, decided_by=r.decided_by) for r in page]
    last = page[-1] if len(page) == limit else None
    return RefundRequestPage(items, encode_cursor(last.created_at, last.request_id) if last else None)


class ApproveBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    note: _Note | None = None


class DeclineBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: _Note  # the buyer sees it


@post("/v1/admin/refund-requests/{request_id:uuid}/approve", operation_id="approveRefundRequest",
      status_code=200, guards=[authenticated],
      tags=["ordering"], summary="Approve a refund request: the refund goes to Stripe in the background")
async def approve(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], request_id: FromPath[uuid.UUID],
    data: JSONBody[ApproveBody],
) -> RefundRequestOut:
    access = await operator_of(request, REFUND_ROLES)
    approved = await approve_refund_request(transaction=ordering.as_organization(access.org_id), clock=ordering.clock,
                                            operator=f"operator:{access.user_id}", request_id=str(request_id),
                                            note=data.note.strip() if data.note else None)
    return RefundRequestOut.of(approved)


@post("/v1/admin/refund-requests/{request_id:uuid}/decline", operation_id="declineRefundRequest",
      status_code=200, guards=[authenticated],
      tags=["ordering"], summary="Decline a refund request, with the reason the buyer sees")
async def decline(
    request: AnyRequest, ordering: NamedDependency[OrderingServices], request_id: FromPath[uuid.UUID],
    data: JSONBody[DeclineBody],
) -> RefundRequestOut:
    access = await operator_of(request, REFUND_ROLES)
    declined = await decline_refund_request(transaction=ordering.as_organization(access.org_id), clock=ordering.clock,
                                            operator=f"operator:{access.user_id}", request_id=str(request_id),
                                            note=data.reason.strip())
    return RefundRequestOut.of(declined)


router = Router(path="/", route_handlers=[get_policy, put_policy, ask, mine, queue, approve, decline])
