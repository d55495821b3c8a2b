"""What ordering's HTTP routes share: who is calling (a buyer, or an operator authorized by identity in
their organization) and the roles each operator action needs."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from lml.identity import facade as identity
from lml.ordering.domain.order import Buyer
from lml.platform.domain.principal import BUYER_SCOPE
from lml.platform.http.auth import bearer_principal, requires_scope
from lml.platform.http.contract import OPERATOR, documented
from lml.platform.http.kit import kit_of

AnyRequest = Request[Any, Any, Any]

REFUND_ROLES = ("owner", "manager")
REPORT_ROLES = ("owner", "manager")
DOOR_LIST_ROLES = ("owner", "manager", "box_office")

# Buyers' routes need the buyer scope (users and guests have it); operators' are authorized per
# organization and role by identity.
buyer_guard = requires_scope(BUYER_SCOPE)


async def authenticated(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    bearer_principal(connection)


# The guard of operators' routes only, whose handlers then authorize the X-Org-ID organization.
documented(authenticated, OPERATOR)


def buyer_of(request: AnyRequest) -> Buyer:
    principal = bearer_principal(request)
    return Buyer(kind=principal.kind, subject=principal.subject, email=principal.email, name=principal.name,
                 phone=principal.phone, email_verified=principal.email_verified)


async def operator_of(request: AnyRequest, roles: tuple[str, ...]) -> identity.OperatorAccess:
    access: identity.OperatorAccess = await kit_of(request).authorize_operator(
        bearer_principal(request), request.headers.get("x-org-id"), roles)
    return access
