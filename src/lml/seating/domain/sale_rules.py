"""The rules of a show's sale that holds obey: the sale window, hold life, seats per buyer."""

from __future__ import annotations

from datetime import datetime

import msgspec

from lml.seating.domain.errors import ShowNotOnSale
from lml.seating.domain.hold import HoldTerms

# A hold can be extended, but never live longer in total than this many times its first life.
HOLD_LIFE_CAP_FACTOR = 2


class SaleRules(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    cancelled: bool
    opens_at: datetime | None  # None: the show has not been put on sale
    closes_at: datetime
    max_seats_per_buyer: int
    hold_seconds: int

    def ensure_open(self, now: datetime) -> None:
        if self.cancelled:
            raise ShowNotOnSale("the show is cancelled")
        if self.opens_at is None:
            raise ShowNotOnSale("the show has not been put on sale")
        if now < self.opens_at:
            raise ShowNotOnSale(f"the sale opens at {self.opens_at.isoformat()}")
        if now >= self.closes_at:
            raise ShowNotOnSale(f"the sale closed at {self.closes_at.isoformat()}")

    def terms(self) -> HoldTerms:
        hold_ms = self.hold_seconds * 1000
        return HoldTerms(hold_ms=hold_ms, cap_ms=hold_ms * HOLD_LIFE_CAP_FACTOR, max_per_buyer=self.max_seats_per_buyer)
