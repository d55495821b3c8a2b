"""Seating's own copy of a show's terms of sale: handed over by the catalog when the show goes on
sale (in the same transaction), marked cancelled when the catalog says so. Holds, the seat map and
the labels of held places read it here, so seating never calls the catalog at a hot moment."""

from __future__ import annotations

from datetime import datetime

import msgspec

from lml.seating.domain.best_available import DEFAULT_SINGLE_SEAT_RULE, SingleSeatRule
from lml.seating.domain.sale_rules import SaleRules


class SaleTierFee(msgspec.Struct, frozen=True):
    name: str
    amount: int


class SaleTier(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str
    name: str
    price: int  # minor units of the show's currency
    fees: tuple[SaleTierFee, ...] = ()
    unit_total: int  # price + fees: what one ticket of this tier costs


class SaleTerms(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    organization_id: str
    event_id: str
    cancelled: bool
    opens_at: datetime  # sales open (never before the show went on sale)
    closes_at: datetime
    starts_at: datetime
    max_seats_per_buyer: int
    hold_seconds: int
    currency: str
    # The one version of the venue's seat map the show sells.
    layout_id: str
    layout_version: int
    layout_hash: str
    tiers: tuple[SaleTier, ...]
    avoid_single_seats: SingleSeatRule = DEFAULT_SINGLE_SEAT_RULE  # whose holds may not leave a seat alone

    @property
    def rules(self) -> SaleRules:
        return SaleRules(show_id=self.show_id, cancelled=self.cancelled, opens_at=self.opens_at,
                         closes_at=self.closes_at, max_seats_per_buyer=self.max_seats_per_buyer,
                         hold_seconds=self.hold_seconds, avoid_single_seats=self.avoid_single_seats)
