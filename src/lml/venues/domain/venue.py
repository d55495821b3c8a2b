"""A venue: the building an organization sells for, and the size of its largest published layout."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import lru_cache

import msgspec

from lml.platform.domain.errors import FieldError
from lml.venues.domain.errors import InvalidVenue

MAX_NAME = 200
MAX_CITY = 100
MAX_ADDRESS = 500


class VenueDraft(msgspec.Struct, kw_only=True):
    """What an operator sends to create a venue."""

    name: str
    city: str
    timezone: str
    address: str = ""
    country: str | None = None


class Venue(msgspec.Struct, frozen=True, kw_only=True):
    venue_id: str
    org_id: str
    name: str
    address: str
    city: str
    timezone: str
    created_at: datetime
    country: str | None = None
    # The largest published layout (seats + standing), so that listings need no seat map.
    seat_capacity: int = 0
    standing_capacity: int = 0

    @property
    def capacity(self) -> int:
        return self.seat_capacity + self.standing_capacity

    def with_published_layout(self, seat_count: int, zone_capacity: int) -> Venue:
        """The summary grows when a larger configuration is published; a smaller one leaves it."""
        if seat_count + zone_capacity <= self.capacity:
            return self
        return msgspec.structs.replace(self, seat_capacity=seat_count, standing_capacity=zone_capacity)


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def new_venue(venue_id: str, org_id: str, draft: VenueDraft, at: datetime) -> Venue:
    """A checked venue, or `InvalidVenue` listing every problem."""
    errors: list[FieldError] = []
    fields = {}
    for name, limit, required in (("name", MAX_NAME, True), ("city", MAX_CITY, True), ("address", MAX_ADDRESS, False)):
        value = getattr(draft, name).strip()
        if required and not value:
            errors.append(FieldError(f"/{name}", "must not be blank"))
        elif len(value) > limit:
            errors.append(FieldError(f"/{name}", f"must be at most {limit} characters"))
        fields[name] = value
    country = draft.country.strip().upper() if draft.country is not None else None
    if country is not None and not (len(country) == 2 and country.isascii() and country.isalpha()):
        errors.append(FieldError("/country", "must be an ISO 3166-1 alpha-2 code such as GB or FR"))
    if draft.timezone not in _timezones():
        errors.append(
            FieldError("/timezone", f"unknown time zone {draft.timezone!r}: use an IANA name such as Europe/Paris")
        )
    if errors:
        raise InvalidVenue(errors)
    return Venue(venue_id=venue_id, org_id=org_id, timezone=draft.timezone, country=country, created_at=at, **fields)
