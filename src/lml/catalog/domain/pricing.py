"""Price tiers and the rules that map a layout's sections, rows, seats and GA zones onto them.

A seat takes the tier of the most specific rule that names it: its own seat rule, else its row's,
else its section's. GA zones are priced by zone rules. Rules are checked against the pinned layout
when a show is made, and resolved to one tier per seat when it goes on sale."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import msgspec

from lml.catalog.domain.currency import CURRENCY_SCHEMA
from lml.catalog.domain.venue import LayoutSeat, LayoutSnapshot, LayoutZone
from lml.platform.domain.errors import FieldError
from lml.platform.domain.text import matches, trim, trimmed_text_pattern

MAX_PRICE = 100_000_000  # minor units: a million dollars is a typo, not a ticket
MAX_TIERS = 50
MAX_FEES = 10
MAX_NAME = 100
# As sent, and as the OpenAPI document states them (`lml.platform.domain.text`).
TIER_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
NAME_PATTERN = trimmed_text_pattern(MAX_NAME, refused="")

Amount = Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 0, "maximum": MAX_PRICE},
                                     description="integer minor units of the show's currency")]
Name = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": NAME_PATTERN})]


class Fee(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name
    amount: Amount


class PriceTier(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str
    name: str
    price: int
    fees: tuple[Fee, ...] = ()

    @property
    def unit_total(self) -> int:
        """What one ticket of this tier costs the buyer: the price plus every fee."""
        return self.price + sum(fee.amount for fee in self.fees)


class TierDraft(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A tier as an operator wrote it; `currency` is optional and must equal the show's."""

    tier_id: Annotated[str, msgspec.Meta(extra_json_schema={"pattern": TIER_ID_PATTERN}, examples=["stalls"])]
    name: Name
    price: Amount
    currency: Annotated[str, msgspec.Meta(extra_json_schema=CURRENCY_SCHEMA)] | None = None
    fees: Annotated[tuple[Fee, ...], msgspec.Meta(extra_json_schema={"maxItems": MAX_FEES})] = ()

    def to_tier(self) -> PriceTier:
        return PriceTier(tier_id=self.tier_id, name=trim(self.name), price=self.price, fees=self.fees)


def _naming(name: str, *unnamed: str) -> dict[str, object]:
    return {"required": [name], "properties": {name: {"type": "string"}, **{o: {"type": "null"} for o in unnamed}}}


# `PricingRule.target` as the OpenAPI document states it: a seat alone, a zone alone, or a section (with
# an optional row).
TARGET_SCHEMA = {"anyOf": [_naming("seat_id", "zone_id", "section", "row"),
                           _naming("zone_id", "seat_id", "section", "row"),
                           _naming("section", "seat_id", "zone_id")]}


class PricingRule(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """Names exactly one target: a seat, a GA zone, a section, or a row of a section."""

    tier_id: str
    section: str | None = None
    row: str | None = None
    seat_id: str | None = None
    zone_id: str | None = None

    def target(self) -> tuple[str, ...] | None:
        """A key naming what the rule prices, or None when it names none or more than one thing."""
        if self.seat_id is not None:
            return ("seat", self.seat_id) if self._only("seat_id") else None
        if self.zone_id is not None:
            return ("zone", self.zone_id) if self._only("zone_id") else None
        if self.section is not None:
            return ("row", self.section, self.row) if self.row is not None else ("section", self.section)
        return None

    def _only(self, name: str) -> bool:
        others = {"section": self.section, "row": self.row, "seat_id": self.seat_id, "zone_id": self.zone_id}
        return all(value is None for key, value in others.items() if key != name)

    def describe(self) -> str:
        if self.seat_id is not None:
            return f"seat {self.seat_id}"
        if self.zone_id is not None:
            return f"GA zone {self.zone_id}"
        if self.row is not None:
            return f"section {self.section} row {self.row}"
        return f"section {self.section}"


def check_tiers(tiers: Sequence[TierDraft], currency: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not tiers:
        errors.append(FieldError("/price_tiers", "needs at least one price tier"))
    if len(tiers) > MAX_TIERS:
        errors.append(FieldError("/price_tiers", f"has more than {MAX_TIERS} tiers"))
    seen: dict[str, int] = {}
    for i, tier in enumerate(tiers):
        at = f"/price_tiers/{i}"
        if not matches(TIER_ID_PATTERN, tier.tier_id):
            errors.append(FieldError(f"{at}/tier_id", "must be 1-64 letters, digits, '_', '-' or '.'"))
        elif tier.tier_id in seen:
            message = f"repeats tier {tier.tier_id!r} (price_tiers/{seen[tier.tier_id]})"
            errors.append(FieldError(f"{at}/tier_id", message))
        else:
            seen[tier.tier_id] = i
        if not matches(NAME_PATTERN, tier.name):
            errors.append(FieldError(f"{at}/name", f"must be 1-{MAX_NAME} characters"))
        if tier.price < 0:
            errors.append(FieldError(f"{at}/price", "must not be negative (integer minor units)"))
        elif tier.price > MAX_PRICE:
            errors.append(FieldError(f"{at}/price", f"must not exceed {MAX_PRICE} minor units"))
        if tier.currency is not None and tier.currency != currency:
            errors.append(FieldError(f"{at}/currency", f"must be {currency}, the show's one currency"))
        if len(tier.fees) > MAX_FEES:
            errors.append(FieldError(f"{at}/fees", f"has more than {MAX_FEES} fees"))
        for j, fee in enumerate(tier.fees):
            if not matches(NAME_PATTERN, fee.name):
                errors.append(FieldError(f"{at}/fees/{j}/name", f"must be 1-{MAX_NAME} characters"))
            if fee.amount < 0:
                errors.append(FieldError(f"{at}/fees/{j}/amount", "must not be negative (integer minor units)"))
            elif fee.amount > MAX_PRICE:
                errors.append(FieldError(f"{at}/fees/{j}/amount", f"must not exceed {MAX_PRICE} minor units"))
    return errors


class _LayoutIndex:
    """The names a pricing rule may refer to, from one layout."""

    def __init__(self, layout: LayoutSnapshot) -> None:
        self.seat_ids = {seat.seat_id for seat in layout.seats}
        self.zone_ids = {zone.zone_id for zone in layout.zones}
        self.rows: dict[str, set[str]] = {}
        for seat in layout.seats:
            self.rows.setdefault(seat.section, set()).add(seat.row)


def check_pricing(rules: Sequence[PricingRule], tier_ids: set[str], layout: LayoutSnapshot | None) -> list[FieldError]:
    """Every rule names one existing target and one of the show's tiers, and no target twice.
    Without a layout (it could not be found) only what needs none is checked."""
    errors: list[FieldError] = []
    index = _LayoutIndex(layout) if layout is not None else None
    first_seen: dict[tuple[str, ...], int] = {}
    for i, rule in enumerate(rules):
        at = f"/pricing/{i}"
        if rule.tier_id not in tier_ids:
            errors.append(FieldError(f"{at}/tier_id", f"{rule.tier_id!r} is not one of the show's price tiers"))
        target = rule.target()
        if target is None:
            message = (
                "a row needs its section"
                if rule.row is not None and rule.section is None
                else "must name exactly one of seat_id, zone_id, or section (with an optional row)"
            )
            errors.append(FieldError(at, message))
            continue
        if target in first_seen:
            errors.append(FieldError(at, f"prices {rule.describe()} again (pricing/{first_seen[target]})"))
            continue
        first_seen[target] = i
        if index is not None:
            errors.extend(_check_target(at, rule, index))
    return errors


def _check_target(at: str, rule: PricingRule, index: _LayoutIndex) -> list[FieldError]:
    if rule.seat_id is not None and rule.seat_id not in index.seat_ids:
        return [FieldError(f"{at}/seat_id", "is not a seat of the layout")]
    if rule.zone_id is not None and rule.zone_id not in index.zone_ids:
        return [FieldError(f"{at}/zone_id", "is not a GA zone of the layout")]
    if rule.section is not None:
        if rule.section not in index.rows:
            return [FieldError(f"{at}/section", "is not a section of the layout")]
        if rule.row is not None and rule.row not in index.rows[rule.section]:
            return [FieldError(f"{at}/row", f"is not a row of section {rule.section}")]
    return []


class PriceResolution(msgspec.Struct, frozen=True, kw_only=True):
    seat_tiers: dict[str, str]
    zone_tiers: dict[str, str]
    unpriced_seats: list[LayoutSeat]
    unpriced_zones: list[LayoutZone]


def resolve_prices(rules: Sequence[PricingRule], layout: LayoutSnapshot) -> PriceResolution:
    """Each seat's and zone's tier, most specific rule first (seat, then row, then section)."""
    by_seat: dict[str, str] = {}
    by_row: dict[tuple[str, str], str] = {}
    by_section: dict[str, str] = {}
    by_zone: dict[str, str] = {}
    for rule in rules:
        if rule.seat_id is not None:
            by_seat[rule.seat_id] = rule.tier_id
        elif rule.zone_id is not None:
            by_zone[rule.zone_id] = rule.tier_id
        elif rule.section is not None and rule.row is not None:
            by_row[(rule.section, rule.row)] = rule.tier_id
        elif rule.section is not None:
            by_section[rule.section] = rule.tier_id
    seat_tiers: dict[str, str] = {}
    unpriced_seats: list[LayoutSeat] = []
    for seat in layout.seats:
        tier = by_seat.get(seat.seat_id) or by_row.get((seat.section, seat.row)) or by_section.get(seat.section)
        if tier is None:
            unpriced_seats.append(seat)
        else:
            seat_tiers[seat.seat_id] = tier
    zone_tiers = {zone.zone_id: by_zone[zone.zone_id] for zone in layout.zones if zone.zone_id in by_zone}
    unpriced_zones = [zone for zone in layout.zones if zone.zone_id not in by_zone]
    return PriceResolution(
        seat_tiers=seat_tiers, zone_tiers=zone_tiers, unpriced_seats=unpriced_seats, unpriced_zones=unpriced_zones
    )
