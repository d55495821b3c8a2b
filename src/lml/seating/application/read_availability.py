"""A show's availability: every seat's status and each GA zone's remaining places."""

from __future__ import annotations

from lml.platform.domain.errors import BrokenInvariant, DomainError
from lml.platform.domain.rate_budget import RateBill
from lml.seating.application.holding import Holding
from lml.seating.domain.availability import Availability
from lml.seating.domain.hold import RateLimited


async def read_availability(holding: Holding, *, show_id: str) -> Availability:
    """The snapshot."""
    found = await read_availability_since(holding, show_id=show_id, known_version=None)
    if not isinstance(found, Availability):
        raise BrokenInvariant("only a known version is answered with a version")
    return found


async def read_availability_since(
    holding: Holding, *, show_id: str, known_version: str | None, bill: RateBill | None = None
) -> Availability | str | DomainError:
    """The snapshot, or only its version while that is still `known_version` (nothing to send).
    Raises UnknownShow for a show that never went on sale. `bill`: the request's rate budgets,
    spent by the store in the same step; their refusal is returned as the error to answer with (as
    a hold's refusals are)."""
    found = await holding.holds.availability(show_id, known_version, bill)
    if found is None:
        await holding.rules.rules(show_id)  # UnknownShow for a show that never went on sale
        await holding.load_inventory(show_id)
        found = await holding.holds.availability(show_id, known_version, bill)
    if found is None:
        raise BrokenInvariant(f"the inventory of show {show_id} cannot be kept loaded")
    if isinstance(found, RateLimited):
        if bill is None or bill.decision is None:
            raise BrokenInvariant("only a request's own rate budgets refuse it")
        return bill.decision.refusal()
    return found
