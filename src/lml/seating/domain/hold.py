"""Holds: a buyer's claim on seats and GA places of one show for a few minutes.

A hold is all or none, belongs to one buyer, and is fenced by a secret token: extending or
releasing it needs the token. Its id carries the show id, so that `/v1/holds/{hold_id}` finds the
show's data without a lookup (opaque to clients, checked when decoded)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal

import msgspec

from lml.platform.domain.errors import FieldError, InvalidInput
from lml.seating.domain.best_available import BestAvailable

# Seat ids are 16 lower-case hex characters (venues' deterministic ids); zone ids are the
# layout's own (letters, digits, '_' and '-', at most 64).
# As the OpenAPI document states them too (anchored both ends: matched whole).
SEAT_ID_PATTERN = "^[0-9a-f]{16}$"
ZONE_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"
SEAT_ID = re.compile(SEAT_ID_PATTERN)
ZONE_ID = re.compile(ZONE_ID_PATTERN)
# One request is one buyer's basket: no show sells more than 100 seats per buyer.
MAX_SEATS_PER_REQUEST = 100
MAX_ZONES_PER_REQUEST = 20
MAX_ZONE_QUANTITY = 100
HOLD_ID_RANDOM_BYTES = 12


class HoldRequest(msgspec.Struct, frozen=True):
    """What a buyer asks to hold, checked: distinct well-formed seat ids, or seats the server picks
    (`best`), and sane zone quantities."""

    seat_ids: tuple[str, ...]
    zones: tuple[tuple[str, int], ...]
    best: BestAvailable | None = None

    @property
    def quantity(self) -> int:
        seats = self.best.quantity if self.best is not None else len(self.seat_ids)
        return seats + sum(qty for _, qty in self.zones)

    def zones_dict(self) -> dict[str, int]:
        return dict(self.zones)

    @classmethod
    def parse(cls, seat_ids: Sequence[str], zones: Mapping[str, int], best: BestAvailable | None = None) -> HoldRequest:
        """Every problem at once, each naming its field; nothing is held on any of them."""
        errors: list[FieldError] = []
        if best is not None:
            if seat_ids:
                errors.append(FieldError("/best_available", "give `seat_ids` or `best_available`, not both"))
            try:
                best.check()
            except InvalidInput as invalid:
                errors.extend(invalid.errors)
        if len(seat_ids) > MAX_SEATS_PER_REQUEST:
            errors.append(FieldError("/seat_ids", f"at most {MAX_SEATS_PER_REQUEST} seats per hold"))
        else:
            first_at: dict[str, int] = {}
            for index, seat_id in enumerate(seat_ids):
                if not SEAT_ID.fullmatch(seat_id):
                    errors.append(FieldError(f"/seat_ids/{index}", "is not a seat id (16 lower-case hex characters)"))
                elif seat_id in first_at:
                    errors.append(FieldError(f"/seat_ids/{index}", f"repeats /seat_ids/{first_at[seat_id]}"))
                else:
                    first_at[seat_id] = index
        if len(zones) > MAX_ZONES_PER_REQUEST:
            errors.append(FieldError("/zones", f"at most {MAX_ZONES_PER_REQUEST} zones per hold"))
        else:
            for zone_id, qty in zones.items():
                if not ZONE_ID.fullmatch(zone_id):
                    pointer = zone_id[:64].replace("~", "~0").replace("/", "~1")
                    errors.append(FieldError(f"/zones/{pointer}", "is not a zone id"))
                elif not 1 <= qty <= MAX_ZONE_QUANTITY:
                    errors.append(FieldError(f"/zones/{zone_id}", f"must be between 1 and {MAX_ZONE_QUANTITY}"))
        if not errors and not seat_ids and not zones and best is None:
            errors.append(FieldError("/seat_ids", "ask for at least one seat or one GA place (zones)"))
        if errors:
            raise InvalidInput(errors, detail="; ".join(f"{e.path}: {e.message}" for e in errors[:5]))
        return cls(tuple(seat_ids), tuple(zones.items()), best)


def is_canonical_show_id(show_id: str) -> bool:
    """Show ids are lower-case hyphenated uuids, spelled exactly so (keys are built from them)."""
    try:
        return str(uuid.UUID(show_id)) == show_id
    except ValueError:
        return False


def new_hold_id(show_id: str, random: bytes) -> str:
    """Base64url of the show's 16 uuid bytes and 12 random ones (38 characters)."""
    if len(random) != HOLD_ID_RANDOM_BYTES:
        raise ValueError(f"a hold id needs {HOLD_ID_RANDOM_BYTES} random bytes")
    raw = _uuid_bytes(show_id) + random
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@functools.lru_cache(maxsize=4096)
def _uuid_bytes(show_id: str) -> bytes:
    """A show's 16 uuid bytes, parsed once: every hold of the show begins with them."""
    return uuid.UUID(show_id).bytes


def show_of_hold(hold_id: str) -> str | None:
    """The show a hold id belongs to, or None when it is no hold id of ours."""
    if len(hold_id) != 38:
        return None
    try:
        raw = base64.urlsafe_b64decode(hold_id + "==")
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + HOLD_ID_RANDOM_BYTES or new_hold_id(str(uuid.UUID(bytes=raw[:16])), raw[16:]) != hold_id:
        return None
    return str(uuid.UUID(bytes=raw[:16]))


def token_hash(token: str) -> str:
    """Only this digest of a hold token is stored: a leaked store does not leak working tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


class Holder(msgspec.Struct, frozen=True, kw_only=True):
    """Who places a hold. Only `owner` may extend, release or order it; `limit_key` is the buyer the
    show's limit of seats per buyer counts (guests with one email are one, see
    `lml.platform.domain.buyer_limit`); `address` is the network it comes from (`address_group`), whose
    places held at once are capped; a guest's hold lives shorter."""

    owner: str
    limit_key: str
    address: str
    guest: bool


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


class HoldTerms(msgspec.Struct, frozen=True):
    """The rules a hold is placed under: the show's, for this holder."""

    hold_ms: int
    cap_ms: int  # total life a hold can reach by extensions
    max_per_buyer: int  # places held, reserved and sold per buyer (limit key)
    max_per_address: int  # places held at once from one client address
    # Whether no free seat may be left alone: by a hold of seats the buyer chose, by a best-available one.
    avoid_single_explicit: bool = False
    avoid_single_best: bool = True


# What the hold store answers to a placement (decided atomically against the show's state).
class HoldPlaced(msgspec.Struct, frozen=True, tag="placed"):
    expires_at_ms: int
    max_expires_at_ms: int
    chosen: tuple[str, ...] = ()  # best available: the seats the store picked, in its order


class InventoryNotLoaded(msgspec.Struct, frozen=True, tag="not_loaded"):
    """The show's inventory is not in the fast store (first use, flush, restart): load it first."""


RefusalReason = Literal["unknown", "blocked", "over_limit", "address_cap", "conflict", "closed", "single_seat",
                        "not_enough", "unknown_choice"]


class HoldRefused(msgspec.Struct, frozen=True, tag="refused"):
    reason: RefusalReason
    seat_ids: tuple[str, ...] = ()
    zone_ids: tuple[str, ...] = ()  # unknown zones, or zones short of places
    zone_remaining: tuple[int, ...] = ()  # with `conflict`: what each short zone has left
    held: int = 0  # with `over_limit`: what the buyer holds already; `address_cap`: the address
    ordered: int = 0  # with `over_limit`: the places of the buyer's orders, reserved or sold
    limit: int = 0  # the limit per buyer, or the cap per address
    # With `not_enough`: the largest block one request could have side by side, and the seats it could
    # have apart. With `unknown_choice`: the tier (`tier_id`) and sections the show does not have.
    together: int = 0
    apart: int = 0
    tier_id: str = ""
    sections: tuple[str, ...] = ()


class RateLimited(msgspec.Struct, frozen=True, tag="rate_limited"):
    """The request's rate budget refused it before anything was decided (its bill says until when)."""


PlaceOutcome = HoldPlaced | InventoryNotLoaded | HoldRefused | RateLimited


class Hold(msgspec.Struct, frozen=True, kw_only=True):
    """A live hold as stored."""

    hold_id: str
    show_id: str
    owner: str
    limit_key: str
    address: str
    token_hash: str
    seat_ids: tuple[str, ...]
    zones: dict[str, int]
    created_at_ms: int
    expires_at_ms: int
    max_expires_at_ms: int


class HoldExtended(msgspec.Struct, frozen=True, tag="extended"):
    expires_at_ms: int
    max_expires_at_ms: int


# Why an extension or release did not happen: the hold is gone (or another buyer's), the token is
# wrong, or (extension) the hold already lives as long as it may.
HoldChangeRefused = Literal["not_found", "bad_token", "at_cap"]


class HeldSeat(msgspec.Struct, frozen=True, kw_only=True):
    seat_id: str
    tier_id: str | None
    label: str | None  # e.g. "Stalls, row C, seat 12"


class HeldZone(msgspec.Struct, frozen=True, kw_only=True):
    zone_id: str
    tier_id: str | None
    quantity: int


class VerifiedHold(msgspec.Struct, frozen=True, kw_only=True):
    """A live hold checked against its token and owner, with what ordering prices it by."""

    hold_id: str
    show_id: str
    owner: str
    seats: list[HeldSeat]
    zones: list[HeldZone]
    expires_at: datetime
    max_expires_at: datetime


def seat_label(section: str, row: str, number: int) -> str:
    return f"{section}, row {row}, seat {number}"
