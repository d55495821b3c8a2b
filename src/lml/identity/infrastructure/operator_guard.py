"""The HTTP side of operator access, shared by every context's admin routes.

    @get("/...", guards=[operator_in(READERS)], dependencies={"operator": Provide(current_operator)})

The guard runs before the body is read, so 401/403 come before any 413 or 422. It asks identity
through the request's HTTP kit (`lml.platform.http.kit`), where the composition root plugged
`IdentityFacade.authorize_operator` in."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from lml.identity.domain.access import OperatorAccess
from lml.platform.http.auth import bearer_principal
from lml.platform.http.contract import OPERATOR, documented
from lml.platform.http.kit import kit_of

# Who may change what an organization sells, and who may read its reports and door lists.
WRITERS = ("owner", "manager")
READERS = ("owner", "manager", "box_office")

_STATE_KEY = "operator_access"


def operator_in(roles: Collection[str]) -> Any:
    """Guard: the caller acts inside the `X-Org-ID` organization with one of `roles` (platform admins
    pass too); the access is kept for `current_operator`."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        access = await kit_of(connection).authorize_operator(
            bearer_principal(connection), connection.headers.get("x-org-id"), roles)
        connection.scope.setdefault("state", {})[_STATE_KEY] = access

    return documented(guard, OPERATOR)


async def current_operator(request: ASGIConnection[Any, Any, Any, Any]) -> OperatorAccess:
    """Dependency: the access `operator_in` established for this request."""
    access: OperatorAccess = request.scope["state"][_STATE_KEY]
    return access
