"""The rules of a show's sale that holds obey: the sale window, hold life, seats per buyer, places
held per client address."""

from __future__ import annotations

from datetime import datetime

import msgspec

from lml.seating.domain.best_available import DEFAULT_SINGLE_SEAT_RULE, SingleSeatRule
from lml.seating.domain.errors import ShowNotOnSale
from lml.seating.domain.hold import HoldTerms

# A hold can be extended, but never live longer in total than this many times its first life. A
# guest session costs nothing to start, so a guest's hold gets no extension: its seats go back on
# sale after one hold time.
HOLD_LIFE_CAP_FACTOR = 2
GUEST_HOLD_LIFE_CAP_FACTOR = 1
class SaleRules(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    cancelled: bool
    opens_at: datetime | None  # None: the show has not been put on sale
    closes_at: datetime
    max_seats_per_buyer: int
    hold_seconds: int
    avoid_single_seats: SingleSeatRule = DEFAULT_SINGLE_SEAT_RULE

    def ensure_open(self, now: datetime) -> None:
        if self.cancelled:
            raise ShowNotOnSale("the show is cancelled")
        if self.opens_at is None:
            raise ShowNotOnSale("the show has not been put on sale")
        if now < self.opens_at:
            raise ShowNotOnSale(f"the sale opens at {self.opens_at.isoformat()}")
        if now >= self.closes_at:
            raise ShowNotOnSale(f"the sale closed at {self.closes_at.isoformat()}")

    @property
    def hold_ms(self) -> int:
        return self.hold_seconds * 1000

    def terms(self, *, guest: bool, max_per_address: int) -> HoldTerms:
        """A hold's terms for a guest or a registered buyer; `max_per_address` is the process's cap."""
        factor = GUEST_HOLD_LIFE_CAP_FACTOR if guest else HOLD_LIFE_CAP_FACTOR
        return HoldTerms(hold_ms=self.hold_ms, cap_ms=self.hold_ms * factor, max_per_buyer=self.max_seats_per_buyer,
                         max_per_address=max_per_address,
                         avoid_single_explicit=self.avoid_single_seats == "all_holds",
                         avoid_single_best=self.avoid_single_seats != "off")
