"""A show's refund policy: how much of a ticket's price a buyer gets back when they ask, by how long
before the show they ask; and whether the fees come back too.

    100 % up to 7 days before the show, 50 % up to 48 hours before, nothing after (the default)

is `RefundPolicy(tiers=(RefundTier(168, 100), RefundTier(48, 50)), fees_refundable=False)`: the first
tier (in decreasing `hours_before`) whose `hours_before` the request is still ahead of gives its
percent; later than every tier, nothing. Operators refund any amount whatever the policy says."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

import msgspec

from lml.platform.domain.errors import FieldError, InvalidInput

MAX_TIERS = 10
MAX_HOURS_BEFORE = 24 * 366


class RefundTier(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hours_before: int  # asked at least this many hours before the show starts ...
    percent: int  # ... gets this percent of the tickets' price back


class RefundPolicy(msgspec.Struct, frozen=True, kw_only=True):
    tiers: tuple[RefundTier, ...]  # in decreasing hours_before
    fees_refundable: bool = False

    @classmethod
    def checked(cls, tiers: Sequence[RefundTier], fees_refundable: bool) -> RefundPolicy:
        """Every problem at once, each naming its field; the tiers are kept in decreasing hours."""
        errors: list[FieldError] = []
        if not 1 <= len(tiers) <= MAX_TIERS:
            errors.append(FieldError("/tiers", f"must have between 1 and {MAX_TIERS} tiers"))
        seen: set[int] = set()
        for i, tier in enumerate(tiers):
            if not 0 <= tier.hours_before <= MAX_HOURS_BEFORE:
                errors.append(FieldError(f"/tiers/{i}/hours_before", f"must be between 0 and {MAX_HOURS_BEFORE}"))
            elif tier.hours_before in seen:
                errors.append(FieldError(f"/tiers/{i}/hours_before", "repeats another tier's"))
            seen.add(tier.hours_before)
            if not 0 <= tier.percent <= 100:
                errors.append(FieldError(f"/tiers/{i}/percent", "must be between 0 and 100"))
        ordered = tuple(sorted(tiers, key=lambda t: -t.hours_before))
        if not errors and any(later.percent > earlier.percent for earlier, later in pairwise(ordered)):
            errors.append(FieldError("/tiers", "must not give back more the closer the show is"))
        if errors:
            raise InvalidInput(errors)
        return cls(tiers=ordered, fees_refundable=fees_refundable)

    def percent_at(self, now: datetime, show_starts_at: datetime) -> int:
        hours_ahead = (show_starts_at - now).total_seconds() / 3600
        return next((t.percent for t in self.tiers if hours_ahead >= t.hours_before), 0)

    def refund_of(self, prices: Sequence[tuple[int, int]], percent: int) -> int:
        """What `percent` gives back of tickets priced (price, fee) each, in whole minor units (down)."""
        base = sum(price + (fee if self.fees_refundable else 0) for price, fee in prices)
        return base * percent // 100


DEFAULT_POLICY = RefundPolicy(
    tiers=(RefundTier(hours_before=168, percent=100), RefundTier(hours_before=48, percent=50)), fees_refundable=False)
