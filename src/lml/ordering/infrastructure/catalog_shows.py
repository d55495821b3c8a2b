"""An operator's view of a show's sale status, on the catalog's facade. (An order's terms come from
seating's copy: `seating_shows`.)"""

from __future__ import annotations

from lml.catalog.facade import CatalogFacade
from lml.platform.db import UnitOfWork


class CatalogShows:
    def __init__(self, catalog: CatalogFacade) -> None:
        self._catalog = catalog

    async def sale_status_in(self, uow: UnitOfWork, show_id: str) -> str:
        """The show's sale status (`cancelled` when it or its event is), read in the caller's unit of
        work: an operator's sees their organization's shows only (the catalog's ShowNotFound else)."""
        return (await self._catalog.show_for_sale(show_id, uow=uow)).sale_status
