"""What every operator route of the catalog shares: the provider of the catalog's ports (the operator
guard and access come from identity's facade)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from lml.catalog.application.ports import CatalogPorts
from lml.catalog.infrastructure.wiring import catalog_ports

AnyRequest = Request[Any, Any, Any]

async def provide_ports(request: AnyRequest) -> CatalogPorts:
    return catalog_ports(request.app.state.resources)

