"""Tickets: one per seat and one per GA unit of a paid order, each with a random code and a signed
payload that an app renders as a QR code and a door scanner verifies offline.

Payload format (version 1), ASCII, safe in a QR code's alphanumeric/byte mode and in a URL:

    LMLT1.<claims>.<signature>

- `claims`: base64url (no padding) of compact JSON `{"c": code, "s": show_id, "seat": seat_id}` for a
  seat, or `{"c": code, "s": show_id, "z": zone_id, "n": unit}` for GA unit `n` (1-based) of a zone.
- `signature`: base64url (no padding) of HMAC-SHA256(key, "LMLT1." + claims), 32 bytes.

A scanner holding the key recomputes the signature over everything before the last dot, compares
in constant time, then checks `s` is the show at its door and that `c` was not scanned before.
The code alone (22 characters, 128 random bits) cannot be guessed; the signature means a payload
cannot be forged or altered (another seat, another show) without the key. Voided tickets still
verify offline, so scanners also sync the show's void list (codes) when online.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable

import msgspec

from lml.ordering.domain.order import Order

PREFIX = "LMLT1"


class TicketClaims(msgspec.Struct, frozen=True, omit_defaults=True):
    c: str
    s: str
    seat: str | None = None
    z: str | None = None
    n: int | None = None


class Ticket(msgspec.Struct, frozen=True, kw_only=True):
    ticket_id: str
    order_id: str
    show_id: str
    line_no: int
    code: str
    seat_id: str | None = None
    zone_id: str | None = None
    unit: int | None = None
    status: str = "valid"

    @property
    def claims(self) -> TicketClaims:
        return TicketClaims(c=self.code, s=self.show_id, seat=self.seat_id, z=self.zone_id, n=self.unit)


class InvalidTicket(Exception):
    """The payload is malformed or its signature does not verify."""


def new_code() -> str:
    return secrets.token_urlsafe(16)


def tickets_for(order: Order, new_id: Callable[[], str]) -> list[Ticket]:
    """The tickets a paid order is owed: one per seat, one per unit of each GA line (units 1..qty).
    Line numbers start at 1, in the order's line order."""
    tickets: list[Ticket] = []
    for line_no, line in enumerate(order.lines, start=1):
        if line.seat_id is not None:
            places: list[tuple[str | None, str | None, int | None]] = [(line.seat_id, None, None)]
        else:
            places = [(None, line.zone_id, unit) for unit in range(1, line.quantity + 1)]
        tickets.extend(
            Ticket(ticket_id=new_id(), order_id=order.order_id, show_id=order.show_id, line_no=line_no,
                   code=new_code(), seat_id=seat_id, zone_id=zone_id, unit=unit)
            for seat_id, zone_id, unit in places
        )
    return tickets


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()


def sign(claims: TicketClaims, key: bytes) -> str:
    signed = f"{PREFIX}.{_b64(msgspec.json.encode(claims))}"
    return f"{signed}.{_b64(_mac(key, signed))}"


def verify(payload: str, key: bytes) -> TicketClaims:
    """The claims of a genuine payload; raises InvalidTicket for anything else."""
    signed, _, signature = payload.rpartition(".")
    prefix, _, claims = signed.partition(".")
    if prefix != PREFIX or not claims or not signature:
        raise InvalidTicket("not an LMLT1 ticket payload")
    try:
        given = _unb64(signature)
    except (binascii.Error, ValueError):
        raise InvalidTicket("malformed signature") from None
    if not hmac.compare_digest(given, _mac(key, signed)):
        raise InvalidTicket("the signature does not verify")
    try:
        return msgspec.json.decode(_unb64(claims), type=TicketClaims)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidTicket("malformed claims") from None
