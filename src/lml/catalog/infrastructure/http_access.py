"""What every operator route of the catalog shares: the operator guard, and the providers of the
operator's access and the catalog's ports."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from lml.catalog.application.ports import CatalogPorts
from lml.catalog.infrastructure.wiring import catalog_ports
from lml.identity.facade import OperatorAccess, authorize_operator
from lml.platform.http.auth import bearer_principal
from lml.platform.resources import Resources

AnyRequest = Request[Any, Any, Any]

WRITERS = ("owner", "manager")
READERS = ("owner", "manager", "box_office")


def operator_in(roles: Collection[str]) -> Any:
    """Guard: the caller acts inside the `X-Org-ID` organization with one of `roles` (platform admins
    pass too). Guards run before the body is read, so 401/403 come before any 422."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        resources: Resources = connection.app.state.resources
        access = await authorize_operator(
            resources.db, bearer_principal(connection), connection.headers.get("x-org-id"), roles
        )
        connection.scope.setdefault("state", {})["catalog_operator"] = access

    return guard


async def provide_operator(request: AnyRequest) -> OperatorAccess:
    access: OperatorAccess = request.scope["state"]["catalog_operator"]
    return access


async def provide_ports(request: AnyRequest) -> CatalogPorts:
    return catalog_ports(request.app.state.resources)

