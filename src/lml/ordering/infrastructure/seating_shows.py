"""Ordering's Shows port on seating's copy of a show's terms of sale, read in the order's own
transaction: one statement, where the catalog's show, event and price tiers took three. Seating's copy
is the catalog's (handed over when the show went on sale, never edited after) and is marked cancelled
in the catalog's cancelling transaction, so an order sees a cancellation exactly as the catalog would."""

from __future__ import annotations

from lml.ordering.application.ports import ShowTerms
from lml.ordering.domain.checkout import Tier, sale_status
from lml.platform.clock import Clock
from lml.platform.db import UnitOfWork
from lml.seating.facade import SeatingFacade


class SeatingShows:
    def __init__(self, seating: SeatingFacade, clock: Clock, uow: UnitOfWork) -> None:
        self._seating = seating
        self._clock = clock
        self._uow = uow

    async def terms(self, show_id: str) -> ShowTerms:
        terms = await self._seating.sale_terms(self._uow, show_id)
        now = self._clock.now()
        if terms is None:
            # Never put on sale: no hold could have been placed, but the answer stays the catalog's.
            return ShowTerms(show_id=show_id, organization_id="", currency="", starts_at=now,
                             sale_status="scheduled", tiers={}, max_seats_per_buyer=0)
        return ShowTerms(
            show_id=terms.show_id,
            organization_id=terms.organization_id,
            currency=terms.currency,
            starts_at=terms.starts_at,
            sale_status=sale_status(cancelled=terms.cancelled, opens_at=terms.opens_at, closes_at=terms.closes_at,
                                    now=now),
            max_seats_per_buyer=terms.max_seats_per_buyer,
            tiers={t.tier_id: Tier(tier_id=t.tier_id, name=t.name, price=t.price, fee=t.unit_total - t.price)
                   for t in terms.tiers},
        )
