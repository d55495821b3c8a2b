"""The attendee list as CSV (RFC 4180 quoting), safe to open in a spreadsheet: a cell that starts
with = + - @ (or a tab or carriage return) would be run as a formula, so it gets a leading quote."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

HEADER = ("order_id", "buyer_name", "buyer_email", "seat", "tier", "price_minor_units", "currency", "order_status")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_lines(rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")
