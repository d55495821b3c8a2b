"""Ordering's Shows port on the catalog's facade: a show's terms when an order is placed (its
currency, start, sale status, limit per buyer, tiers), and an operator's view of its sale status."""

from __future__ import annotations

from lml.catalog.facade import CatalogFacade
from lml.ordering.application.ports import ShowTerms
from lml.ordering.domain.checkout import Tier
from lml.platform.db import UnitOfWork


class CatalogShows:
    def __init__(self, catalog: CatalogFacade, uow: UnitOfWork | None = None) -> None:
        """Terms are read in `uow` when given (an ordering transaction's), else in a read of their own."""
        self._catalog = catalog
        self._uow = uow

    def within(self, uow: UnitOfWork) -> CatalogShows:
        return CatalogShows(self._catalog, uow)

    async def terms(self, show_id: str) -> ShowTerms:
        show = await self._catalog.show_for_sale(show_id, uow=self._uow)
        return ShowTerms(
            show_id=show.show_id,
            organization_id=show.org_id,
            currency=show.currency,
            starts_at=show.starts_at,
            sale_status=show.sale_status,
            max_seats_per_buyer=show.max_seats_per_buyer,
            tiers={t.tier_id: Tier(tier_id=t.tier_id, name=t.name, price=t.price, fee=t.unit_total - t.price)
                   for t in show.price_tiers},
        )

    async def sale_status_in(self, uow: UnitOfWork, show_id: str) -> str:
        """The show's sale status (`cancelled` when it or its event is), read in the caller's unit of
        work: an operator's sees their organization's shows only (the catalog's ShowNotFound else)."""
        return (await self._catalog.show_for_sale(show_id, uow=uow)).sale_status
