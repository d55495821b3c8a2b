"""A venue: the building an organization sells for, and the size of its largest published layout."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from functools import lru_cache
from typing import Annotated

import msgspec

from lml.platform.domain.errors import FieldError
from lml.platform.domain.text import SPACE, matches, trim, trimmed_text_pattern
from lml.venues.domain.errors import InvalidVenue

MAX_NAME = 200
MAX_CITY = 100
MAX_ADDRESS = 500
# The rules as patterns the OpenAPI document states too (`lml.platform.domain.text`): trimmed, a name
# and a city not blank, an address maybe; a country an ISO 3166-1 alpha-2 code, in either case.
NAME_PATTERN = trimmed_text_pattern(MAX_NAME, refused="")
CITY_PATTERN = trimmed_text_pattern(MAX_CITY, refused="")
ADDRESS_PATTERN = trimmed_text_pattern(MAX_ADDRESS, refused="", required=False)
COUNTRY_PATTERN = f"^{SPACE}*[A-Za-z]{{2}}{SPACE}*$"


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    """The IANA time zone names a venue may be in."""
    return frozenset(zoneinfo.available_timezones())


def _timezone_schema() -> dict[str, object]:
    """The names, and each one's name in generated clients (`x-enum-varnames`): `Etc/GMT+0`, `Etc/GMT-0`
    and `GMT0` would otherwise all be GMT0 there."""
    names = sorted(timezones())
    spelled = [name.replace("+", "_PLUS_").replace("-", "_MINUS_") for name in names]
    return {"enum": names, "x-enum-varnames": [re.sub(r"[^A-Za-z0-9]+", "_", name).upper() for name in spelled]}


class VenueDraft(msgspec.Struct, kw_only=True):
    """What an operator sends to create a venue."""

    name: Annotated[str, msgspec.Meta(extra_json_schema={"pattern": NAME_PATTERN}, examples=["Main Hall"])]
    city: Annotated[str, msgspec.Meta(extra_json_schema={"pattern": CITY_PATTERN}, examples=["Paris"])]
    timezone: Annotated[str, msgspec.Meta(extra_json_schema=_timezone_schema(), examples=["Europe/Paris"],
                                          description="An IANA time zone")]
    address: Annotated[str, msgspec.Meta(extra_json_schema={"pattern": ADDRESS_PATTERN},
                                         examples=["1 Rue de la Paix"])] = ""
    country: Annotated[str, msgspec.Meta(extra_json_schema={"pattern": COUNTRY_PATTERN}, examples=["FR"])] | None \
        = None


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


def new_venue(venue_id: str, org_id: str, draft: VenueDraft, at: datetime) -> Venue:
    """A checked venue, or `InvalidVenue` listing every problem."""
    errors: list[FieldError] = []
    fields = {}
    for name, limit, pattern in (("name", MAX_NAME, NAME_PATTERN), ("city", MAX_CITY, CITY_PATTERN),
                                 ("address", MAX_ADDRESS, ADDRESS_PATTERN)):
        value = getattr(draft, name)
        if not matches(pattern, value):
            problem = "must not be blank" if not trim(value) else f"must be at most {limit} characters"
            errors.append(FieldError(f"/{name}", problem))
        fields[name] = trim(value)
    country = trim(draft.country).upper() if draft.country is not None else None
    if draft.country is not None and not matches(COUNTRY_PATTERN, draft.country):
        errors.append(FieldError("/country", "must be an ISO 3166-1 alpha-2 code such as GB or FR"))
    if draft.timezone not in timezones():
        errors.append(
            FieldError("/timezone", f"unknown time zone {draft.timezone!r}: use an IANA name such as Europe/Paris")
        )
    if errors:
        raise InvalidVenue(errors)
    return Venue(venue_id=venue_id, org_id=org_id, name=fields["name"], city=fields["city"], address=fields["address"],
                 timezone=draft.timezone, country=country, created_at=at)
