"""Date-times as the API reads them (msgspec's RFC 3339 decoder), as one regular expression the
OpenAPI document states: a calendar date from year 1 to 9999 (29 February in leap years only), a
time of day without a leap second, any fraction of a second, then `Z`, an offset (`+05:30` or
`+0530`) or none. `T`, `t` or a space between; `Z` or `z`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = ("(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
              "|02-(?:0[1-9]|1[0-9]|2[0-8]))")
DATE = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
_OFFSET = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])"
DATE_TIME_PATTERN = f"^{DATE}[Tt ]{_TIME}{_OFFSET}?$"
OFFSET_DATE_TIME_PATTERN = f"^{DATE}[Tt ]{_TIME}{_OFFSET}$"
# A date alone, or a date-time (a query's bound: a date is its midnight).
DAY_OR_DATE_TIME_PATTERN = f"^{DATE}(?:[Tt ]{_TIME}{_OFFSET}?)?$"

_EXAMPLES = ["2027-03-01T19:30:00Z", "2027-03-01T20:30:00+01:00"]
# A request's date-time: with an offset, or none (each field says what a time without one means).
DateTime = Annotated[datetime, msgspec.Meta(extra_json_schema={"type": "string", "pattern": DATE_TIME_PATTERN},
                                            examples=_EXAMPLES)]
# An instant: the offset is required.
OffsetDateTime = Annotated[datetime, msgspec.Meta(
    tz=True, extra_json_schema={"type": "string", "pattern": OFFSET_DATE_TIME_PATTERN}, examples=_EXAMPLES)]
