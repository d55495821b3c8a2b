"""What every operator route of the catalog shares: its ports, from the catalog's services (the
operator guard and access come from identity's facade)."""

from __future__ import annotations

from litestar.di import NamedDependency

from lml.catalog.application.ports import CatalogPorts
from lml.catalog.infrastructure.services import CatalogServices


async def provide_ports(catalog: NamedDependency[CatalogServices]) -> CatalogPorts:
    return catalog.ports
