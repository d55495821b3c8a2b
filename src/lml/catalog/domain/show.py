"""A show (one performance of an event): when, which layout version it sells, at what prices,
and its sale window. Status `draft → on_sale → cancelled` (a draft may be cancelled too); only a
draft changes. Going on sale turns the pricing rules into one tier per seat and GA zone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from msgspec import UNSET, UnsetType

from lml.catalog.domain.currency import CURRENCY_SCHEMA, DEFAULT_CURRENCY, is_currency
from lml.catalog.domain.errors import (
    EventNotPublished,
    InvalidTransition,
    LayoutChanged,
    SaleWindowClosed,
    ShowNotEditable,
    UnpricedSeats,
)
from lml.catalog.domain.event import Event
from lml.catalog.domain.pricing import (
    MAX_TIERS,
    TARGET_SCHEMA,
    PriceTier,
    PricingRule,
    TierDraft,
    check_pricing,
    check_tiers,
    resolve_prices,
)
from lml.catalog.domain.sale import SaleStatus, ShowStatus, sale_status, window_opens
from lml.catalog.domain.venue import LayoutPin, LayoutSeat, LayoutSnapshot
from lml.platform.domain.date_time import DateTime
from lml.platform.domain.errors import FieldError, InvalidInput, present

DEFAULT_MAX_SEATS_PER_BUYER = 8
MAX_SEATS_PER_BUYER = 100
DEFAULT_HOLD_SECONDS = 600
MIN_HOLD_SECONDS = 60
MAX_HOLD_SECONDS = 3600
MAX_DOORS_BEFORE = timedelta(hours=24)
MAX_PRICING_RULES = 100_000
# Whose holds may not leave a free seat alone between taken seats (or at a row's edge): best-available
# choices only, every hold (seats a buyer chose too), or none.
SINGLE_SEAT_RULES = ("best_available", "all_holds", "off")
DEFAULT_SINGLE_SEAT_RULE = "best_available"

# The fields' own rules, as the OpenAPI document states them (`_check` checks the same constants).
Currency = Annotated[str, msgspec.Meta(extra_json_schema=CURRENCY_SCHEMA)]
PriceTiers = Annotated[tuple[TierDraft, ...], msgspec.Meta(extra_json_schema={"minItems": 1, "maxItems": MAX_TIERS})]
Pricing = Annotated[tuple[Annotated[PricingRule, msgspec.Meta(extra_json_schema=TARGET_SCHEMA)], ...],
                    msgspec.Meta(extra_json_schema={"maxItems": MAX_PRICING_RULES})]
SeatsPerBuyer = Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 1, "maximum": MAX_SEATS_PER_BUYER})]
HoldSeconds = Annotated[int, msgspec.Meta(extra_json_schema={"minimum": MIN_HOLD_SECONDS, "maximum": MAX_HOLD_SECONDS})]
SingleSeatRule = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(SINGLE_SEAT_RULES)})]


class ShowDraft(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A show as an operator describes it. Times without an offset are the venue's local time."""

    starts_at: DateTime
    layout_id: str
    layout_version: int | None = None  # None: the latest published version
    doors_at: DateTime | None = None
    currency: Currency = DEFAULT_CURRENCY
    price_tiers: PriceTiers
    pricing: Pricing = ()
    on_sale_at: DateTime | None = None  # None: from the moment it is put on sale
    off_sale_at: DateTime | None = None  # None: until the show starts
    max_seats_per_buyer: SeatsPerBuyer = DEFAULT_MAX_SEATS_PER_BUYER
    hold_seconds: HoldSeconds = DEFAULT_HOLD_SECONDS
    avoid_single_seats: SingleSeatRule = DEFAULT_SINGLE_SEAT_RULE


class PlannedSeat(msgspec.Struct, frozen=True, array_like=True):
    seat_id: str
    tier_id: str | None  # None only for a blocked seat nobody priced
    blocked: bool


class PlannedZone(msgspec.Struct, frozen=True, array_like=True):
    zone_id: str
    tier_id: str
    capacity: int


class InventoryPlan(msgspec.Struct, frozen=True):
    seats: list[PlannedSeat]
    zones: list[PlannedZone]
    layout: LayoutSnapshot | None = None  # the pinned layout the plan is of: its geometry ranks the seats


def to_utc(value: datetime, timezone: str) -> datetime | str:
    """An instant in UTC, or why the local time names none. A time with an offset is taken as is;
    one without is the venue's wall-clock time, refused when a DST change skips or repeats it."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    zone = ZoneInfo(timezone)
    early, late = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        return f"{value.isoformat()} does not exist in {timezone} (the clocks skip it); give an offset"
    if early.utcoffset() != late.utcoffset():
        return f"{value.isoformat()} happens twice in {timezone} (the clocks go back); give an offset"
    return early.astimezone(UTC)


class _Checked(msgspec.Struct, frozen=True, kw_only=True):
    starts_at: datetime
    doors_at: datetime | None
    on_sale_at: datetime | None
    off_sale_at: datetime | None
    tiers: tuple[PriceTier, ...]


class _Instants(msgspec.Struct, frozen=True):
    starts: datetime | None
    doors: datetime | None
    opens: datetime | None
    closes: datetime | None


def _instants(draft: ShowDraft, timezone: str, errors: list[FieldError]) -> _Instants:
    """The draft's times in UTC; one that names no instant is None, and an error says why."""
    converted: list[datetime | None] = []
    for name in ("starts_at", "doors_at", "on_sale_at", "off_sale_at"):
        value: datetime | None = getattr(draft, name)
        instant = to_utc(value, timezone) if value is not None else None
        if isinstance(instant, str):
            errors.append(FieldError(f"/{name}", instant))
            instant = None
        converted.append(instant)
    return _Instants(*converted)


def _window_errors(at: _Instants, now: datetime) -> list[FieldError]:
    errors = []
    if at.starts is not None:
        if at.starts <= now:
            errors.append(FieldError("/starts_at", "must be in the future"))
        if at.doors is not None and not (at.starts - MAX_DOORS_BEFORE <= at.doors <= at.starts):
            errors.append(FieldError("/doors_at", "must be at most 24 hours before starts_at, and not after it"))
        if at.opens is not None and at.opens >= at.starts:
            errors.append(FieldError("/on_sale_at", "must be before the show starts"))
        if at.closes is not None and at.closes > at.starts:
            errors.append(FieldError("/off_sale_at", "must not be after starts_at (the sale window overlaps the show)"))
    if at.opens is not None and at.closes is not None and at.closes <= at.opens:
        errors.append(FieldError("/off_sale_at", "must be after on_sale_at (the sale window is reversed)"))
    if at.closes is not None and at.closes <= now:
        errors.append(FieldError("/off_sale_at", "must be in the future"))
    return errors


def _check(draft: ShowDraft, event: Event, layout: LayoutSnapshot | None, layout_errors: Sequence[FieldError],
           now: datetime) -> _Checked:
    """Every rule of a show at once; raises InvalidInput listing each broken one."""
    errors = list(layout_errors)
    at = _instants(draft, event.venue.timezone, errors)
    errors.extend(_window_errors(at, now))
    if not is_currency(draft.currency):
        errors.append(FieldError("/currency", "is not an ISO 4217 currency code (upper case, e.g. USD)"))
    if not (1 <= draft.max_seats_per_buyer <= MAX_SEATS_PER_BUYER):
        errors.append(FieldError("/max_seats_per_buyer", f"must be between 1 and {MAX_SEATS_PER_BUYER}"))
    if draft.avoid_single_seats not in SINGLE_SEAT_RULES:
        errors.append(FieldError("/avoid_single_seats", f"must be one of {', '.join(SINGLE_SEAT_RULES)}"))
    if not (MIN_HOLD_SECONDS <= draft.hold_seconds <= MAX_HOLD_SECONDS):
        errors.append(FieldError("/hold_seconds", f"must be between {MIN_HOLD_SECONDS} and {MAX_HOLD_SECONDS}"))
    if layout is not None and layout.venue_id != event.venue.venue_id:
        errors.append(FieldError("/layout_id", "is a layout of another venue than the event's"))
        layout = None  # its sections and zones say nothing about this show
    errors.extend(check_tiers(draft.price_tiers, draft.currency))
    if len(draft.pricing) > MAX_PRICING_RULES:
        errors.append(FieldError("/pricing", f"has more than {MAX_PRICING_RULES} entries"))
    else:
        errors.extend(check_pricing(draft.pricing, {t.tier_id for t in draft.price_tiers}, layout))
    if errors:
        raise InvalidInput(errors)
    return _Checked(starts_at=present(at.starts, "a draft without a start is invalid input"), doors_at=at.doors,
                    on_sale_at=at.opens, off_sale_at=at.closes, tiers=tuple(t.to_tier() for t in draft.price_tiers))


class Show(msgspec.Struct, kw_only=True):
    show_id: str
    event_id: str
    org_id: str
    starts_at: datetime
    doors_at: datetime | None
    layout: LayoutPin
    currency: str
    tiers: tuple[PriceTier, ...]
    pricing: tuple[PricingRule, ...]
    on_sale_at: datetime | None
    off_sale_at: datetime | None
    max_seats_per_buyer: int
    hold_seconds: int
    created_at: datetime
    updated_at: datetime
    status: ShowStatus = "draft"
    avoid_single_seats: str = DEFAULT_SINGLE_SEAT_RULE
    # Seats an operator set aside before the inventory exists; they are materialized as blocked.
    blocked_seat_ids: tuple[str, ...] = ()
    went_on_sale_at: datetime | None = None
    cancelled_at: datetime | None = None

    @classmethod
    def create(cls, *, show_id: str, event: Event, draft: ShowDraft, layout: LayoutSnapshot | None,
               layout_errors: Sequence[FieldError], now: datetime) -> Show:
        """`layout` is None when it could not be pinned; `layout_errors` say why (they are listed
        with every other problem of the draft)."""
        event.ensure_open_for_shows()
        checked = _check(draft, event, layout, layout_errors, now)
        layout = present(layout, "a layout that cannot be pinned comes with the errors saying why")
        return cls(
            show_id=show_id, event_id=event.event_id, org_id=event.org_id, starts_at=checked.starts_at,
            doors_at=checked.doors_at, layout=layout.pin, currency=draft.currency, tiers=checked.tiers,
            pricing=draft.pricing, on_sale_at=checked.on_sale_at, off_sale_at=checked.off_sale_at,
            max_seats_per_buyer=draft.max_seats_per_buyer, hold_seconds=draft.hold_seconds,
            avoid_single_seats=draft.avoid_single_seats, created_at=now, updated_at=now,
        )

    def to_draft(self) -> ShowDraft:
        """The show as a draft, the base a PATCH is applied to (times are UTC, so taken as they are)."""
        return ShowDraft(
            starts_at=self.starts_at, layout_id=self.layout.layout_id, layout_version=self.layout.version,
            doors_at=self.doors_at, currency=self.currency,
            price_tiers=tuple(TierDraft(tier_id=t.tier_id, name=t.name, price=t.price, fees=t.fees)
                              for t in self.tiers),
            pricing=self.pricing, on_sale_at=self.on_sale_at, off_sale_at=self.off_sale_at,
            max_seats_per_buyer=self.max_seats_per_buyer, hold_seconds=self.hold_seconds,
            avoid_single_seats=self.avoid_single_seats,
        )

    def revise(self, *, event: Event, draft: ShowDraft, layout: LayoutSnapshot | None,
               layout_errors: Sequence[FieldError], now: datetime) -> None:
        self._ensure_draft()
        event.ensure_open_for_shows()
        checked = _check(draft, event, layout, layout_errors, now)
        layout = present(layout, "a layout that cannot be pinned comes with the errors saying why")
        if layout.pin != self.layout:
            # Seat ids belong to one layout version: blocks chosen on another would name nothing.
            self.blocked_seat_ids = ()
        self.starts_at, self.doors_at = checked.starts_at, checked.doors_at
        self.on_sale_at, self.off_sale_at = checked.on_sale_at, checked.off_sale_at
        self.layout, self.currency, self.tiers, self.pricing = layout.pin, draft.currency, checked.tiers, draft.pricing
        self.max_seats_per_buyer, self.hold_seconds = draft.max_seats_per_buyer, draft.hold_seconds
        self.avoid_single_seats = draft.avoid_single_seats
        self.updated_at = now

    def plan_inventory(self, layout: LayoutSnapshot) -> InventoryPlan:
        """One tier for every seat and GA zone; raises UnpricedSeats listing what has none.
        A blocked seat needs no price until it is unblocked."""
        if layout.pin != self.layout:
            raise LayoutChanged()
        resolution = resolve_prices(self.pricing, layout)
        blocked = set(self.blocked_seat_ids)
        unpriced = [seat for seat in resolution.unpriced_seats if seat.seat_id not in blocked]
        if unpriced or resolution.unpriced_zones:
            errors = _unpriced_errors(unpriced) + [
                FieldError("/pricing", f"GA zone {zone.zone_id} ({zone.name}) has no price tier")
                for zone in resolution.unpriced_zones
            ]
            raise UnpricedSeats(errors, [s.seat_id for s in unpriced], [z.zone_id for z in resolution.unpriced_zones])
        seats = [
            PlannedSeat(seat.seat_id, resolution.seat_tiers.get(seat.seat_id), seat.seat_id in blocked)
            for seat in layout.seats
        ]
        zones = [PlannedZone(zone.zone_id, resolution.zone_tiers[zone.zone_id], zone.capacity) for zone in layout.zones]
        return InventoryPlan(seats, zones, layout)

    def put_on_sale(self, event: Event, now: datetime) -> bool:
        """True when the show was a draft; putting it on sale again changes nothing."""
        if self.status == "on_sale":
            return False
        if self.status != "draft":
            raise InvalidTransition("show", self.status, "on_sale")
        if event.status != "published":
            raise EventNotPublished()
        if now >= self.closes_at:
            raise SaleWindowClosed()
        self.status = "on_sale"
        self.went_on_sale_at = now
        self.updated_at = now
        return True

    def cancel(self, now: datetime) -> bool:
        if self.status == "cancelled":
            return False
        self.status = "cancelled"
        self.cancelled_at = now
        self.updated_at = now
        return True

    def set_blocked_before_sale(self, seat_ids: Iterable[str], blocked: bool, now: datetime) -> None:
        """Only a draft keeps its own blocks; once on sale the inventory holds them."""
        self._ensure_draft()
        current = set(self.blocked_seat_ids)
        current = current | set(seat_ids) if blocked else current - set(seat_ids)
        self.blocked_seat_ids = tuple(sorted(current))
        self.updated_at = now

    @property
    def opens_at(self) -> datetime | None:
        return window_opens(self.on_sale_at, self.went_on_sale_at)

    @property
    def closes_at(self) -> datetime:
        return self.off_sale_at or self.starts_at

    def sale_status(self, event_status: str, now: datetime, *, sold_out: bool = False) -> SaleStatus:
        return sale_status(event_status=event_status, show_status=self.status, opens_at=self.opens_at,
                           closes_at=self.closes_at, now=now, sold_out=sold_out)

    def _ensure_draft(self) -> None:
        if self.status != "draft":
            raise ShowNotEditable()


def _unpriced_errors(seats: list[LayoutSeat], limit: int = 50) -> list[FieldError]:
    """One error per row, naming the row and how many of its seats have no tier."""
    rows: dict[tuple[str, str], list[str]] = {}
    for seat in seats:
        rows.setdefault((seat.section, seat.row), []).append(seat.number)
    errors = [
        FieldError("/pricing", f"section {section} row {row}: {len(numbers)} seat(s) without a price tier "
                               f"({', '.join(numbers[:10])}{', ...' if len(numbers) > 10 else ''})")
        for (section, row), numbers in list(rows.items())[:limit]
    ]
    if len(rows) > limit:
        errors.append(FieldError("/pricing", f"... and {len(rows) - limit} more row(s) with unpriced seats"))
    return errors


def validate_seat_ids(seat_ids: Sequence[str], layout: LayoutSnapshot) -> None:
    known = {seat.seat_id for seat in layout.seats}
    errors = [FieldError(f"/seat_ids/{i}", "is not a seat of the show's layout")
              for i, seat_id in enumerate(seat_ids) if seat_id not in known]
    if not seat_ids:
        errors.append(FieldError("/seat_ids", "must name at least one seat"))
    if errors:
        raise InvalidInput(errors)


class ShowChanges(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A PATCH of a draft show: fields left UNSET keep their value."""

    starts_at: DateTime | UnsetType = UNSET
    layout_id: str | UnsetType = UNSET
    layout_version: int | UnsetType | None = UNSET
    doors_at: DateTime | UnsetType | None = UNSET
    currency: Currency | UnsetType = UNSET
    price_tiers: PriceTiers | UnsetType = UNSET
    pricing: Pricing | UnsetType = UNSET
    on_sale_at: DateTime | UnsetType | None = UNSET
    off_sale_at: DateTime | UnsetType | None = UNSET
    max_seats_per_buyer: SeatsPerBuyer | UnsetType = UNSET
    hold_seconds: HoldSeconds | UnsetType = UNSET
    avoid_single_seats: SingleSeatRule | UnsetType = UNSET

    def applied_to(self, draft: ShowDraft) -> ShowDraft:
        given = {name: value for name in self.__struct_fields__
                 if not isinstance(value := getattr(self, name), UnsetType)}
        if "layout_id" in given and given["layout_id"] != draft.layout_id and "layout_version" not in given:
            given["layout_version"] = None  # another layout: its latest published version
        return msgspec.structs.replace(draft, **given)
