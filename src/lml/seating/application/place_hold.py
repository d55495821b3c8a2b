"""Place a hold: the show must be on sale; every seat and zone is taken, or none."""

from __future__ import annotations

from datetime import datetime

import msgspec

from lml.platform.domain.errors import DomainError
from lml.platform.domain.rate_budget import RateBill
from lml.seating.application.holding import Holding
from lml.seating.domain.errors import refusal_error
from lml.seating.domain.hold import (
    Holder,
    HoldPlaced,
    HoldRefused,
    HoldRequest,
    InventoryNotLoaded,
    RateLimited,
    from_ms,
    new_hold_id,
    token_hash,
)


class PlacedHold(msgspec.Struct, frozen=True, kw_only=True):
    hold_id: str
    hold_token: str  # the fencing secret: shown once, only its digest is kept
    show_id: str
    expires_at: datetime
    max_expires_at: datetime
    seat_ids: tuple[str, ...]
    zones: dict[str, int]


# The cap per client address is for anonymous surges; a buyer the waiting room let in is not one.
NO_ADDRESS_CAP = 2**31 - 1


async def place_hold(
    holding: Holding, *, show_id: str, holder: Holder, request: HoldRequest, queue_pass: str | None = None,
    bill: RateBill | None = None,
) -> PlacedHold | DomainError:
    """`queue_pass`: the pass the show's waiting room gave the buyer (required while it has one);
    `bill`: the request's rate budgets, spent by the hold store in the same step as the hold.

    What the store refuses (taken seats, the buyer's limit, the rate budget...) is returned as the
    error to answer with, not raised: in a surge most answers are refusals, and raising each one costs
    more than the rest of the request. What is refused before the store is asked is raised."""
    rules = await holding.rules.rules(show_id)
    rules.ensure_open(holding.clock.now())
    admitted = await holding.queue_gate.admit_hold(show_id=show_id, buyer=holder.limit_key, pass_token=queue_pass)
    terms = rules.terms(guest=holder.guest,
                        max_per_address=holding.max_held_per_address if admitted is None else NO_ADDRESS_CAP)
    random, token = holding.new_hold_secrets()
    hold_id = new_hold_id(show_id, random)
    digest = token_hash(token)
    outcome = await holding.holds.place(show_id, hold_id, holder, digest, request, terms, bill)
    if isinstance(outcome, InventoryNotLoaded):
        await holding.load_inventory(show_id)
        outcome = await holding.holds.place(show_id, hold_id, holder, digest, request, terms, bill)
    if isinstance(outcome, HoldRefused):
        return refusal_error(request, outcome)
    if isinstance(outcome, RateLimited) and bill is not None and bill.decision is not None:
        return bill.decision.refusal()
    if not isinstance(outcome, HoldPlaced):
        # Loaded a moment ago yet gone again: Redis lost its data twice in a row.
        raise RuntimeError(f"the inventory of show {show_id} cannot be kept loaded")
    placed = PlacedHold(
        hold_id=hold_id, hold_token=token, show_id=show_id, expires_at=from_ms(outcome.expires_at_ms),
        max_expires_at=from_ms(outcome.max_expires_at_ms),
        seat_ids=outcome.chosen if request.best is not None else request.seat_ids, zones=request.zones_dict(),
    )
    if admitted is not None:
        await holding.queue_gate.hold_placed(show_id=show_id, entry_id=admitted, until=placed.max_expires_at)
    return placed
