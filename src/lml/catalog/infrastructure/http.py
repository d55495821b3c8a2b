"""Catalog's HTTP routes: operators' events and shows under /v1/admin, buyers' reads under /v1."""

from litestar import Router

from lml.catalog.infrastructure.admin_http import AdminEvents, AdminShows
from lml.catalog.infrastructure.public_http import PublicCatalog

router = Router(path="/", route_handlers=[AdminEvents, AdminShows, PublicCatalog])
