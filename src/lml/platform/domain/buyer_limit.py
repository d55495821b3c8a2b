"""Who a show's limit of seats per buyer counts as one buyer, and its refusal: one rule for the
holds (seating) and the orders (ordering).

A registered user is one buyer. A guest session is a new token at every checkout, so a limit per
session would be no limit at all: guests count by their email instead (normalized, hashed so that
keys in Redis and PostgreSQL do not spell out addresses). Owning a hold or an order is another
matter: that stays with the session (`guest:<subject>`), since a guest proves no email."""

from __future__ import annotations

import hashlib

from lml.platform.domain.errors import FieldError, InvalidInput
from lml.platform.domain.principal import owner_key


def limit_key(kind: str, subject: str, email: str | None) -> str:
    """`user:<id>`, or `guest-email:<32 hex>` for a guest (`guest:<subject>` for one without email)."""
    if kind == "guest" and email and email.strip():
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return f"guest-email:{digest[:32]}"
    return owner_key(kind, subject)


class BuyerLimitExceeded(InvalidInput):
    """The hold or order would take the buyer over the show's limit of seats per buyer."""

    def __init__(self, *, requested: int, held: int, ordered: int, limit: int) -> None:
        message = (f"would make {held + ordered + requested} seats for you at this show; the limit is {limit} "
                   f"(you have {held} in holds and {ordered} in orders already)")
        super().__init__([FieldError("/seat_ids", message)], detail=f"Too many seats: {message}")
        self.extensions.update(limit=limit, held=held, ordered=ordered, requested=requested)
