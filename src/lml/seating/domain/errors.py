"""What seating refuses about holds, each named for what happened (the problem `type` says it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lml.platform.domain.buyer_limit import BuyerLimitExceeded
from lml.platform.domain.errors import Conflict, FieldError, InvalidInput, NotFound, PreconditionFailed
from lml.seating.domain.hold import HoldRefused, HoldRequest

# When a refused address may try again: its places free as its holds are ordered, released or
# expire, which for people choosing seats takes minutes, not seconds.
ADDRESS_CAP_RETRY_SECONDS = 60


class UnknownShow(NotFound):
    """No such show is on sale (it does not exist, or never went on sale)."""


class ShowNotOnSale(InvalidInput):
    """The show is not on sale now."""

    def __init__(self, reason: str) -> None:
        super().__init__([FieldError("/show_id", reason)], detail=f"The show is not on sale: {reason}")


class UnknownSeats(InvalidInput):
    """Some seats or GA zones are not part of this show."""

    def __init__(self, errors: list[FieldError], seat_ids: Sequence[str], zone_ids: Sequence[str]) -> None:
        detail = f"{len(seat_ids)} seat(s) and {len(zone_ids)} zone(s) are not part of this show"
        super().__init__(errors, detail=detail)
        self.extensions.update(unknown_seats=list(seat_ids), unknown_zones=list(zone_ids))


class SeatsBlocked(InvalidInput):
    """Some seats are not for sale (blocked by the organizer)."""

    def __init__(self, errors: list[FieldError], seat_ids: Sequence[str]) -> None:
        super().__init__(errors, detail=f"{len(seat_ids)} seat(s) are not for sale")
        self.extensions["blocked_seats"] = list(seat_ids)


class AddressHoldCapReached(Conflict):
    """Too many places of this show are held at once from the caller's network address.

    A conflict with the show's state as seen from that address, not a request rate (the route's rate
    limit answers 429): it clears as those holds are ordered, released or expire. And a hold's
    answer is kept under its Idempotency-Key: a 429 invites a retry with the same key, which would
    get the kept refusal again; a 409 ends that attempt, and the next one (a new key) goes through."""

    def __init__(self, *, requested: int, held: int, cap: int) -> None:
        super().__init__(
            f"At most {cap} places of this show may be held at once from one network address; {held} are held "
            f"from yours, and this hold asks for {requested} more. Try again once some are ordered or released.",
            cap=cap, held=held, requested=requested,
        )
        self.retry_after = ADDRESS_CAP_RETRY_SECONDS


class SeatsUnavailable(Conflict):
    """Some of the seats (or GA places) are taken; `conflicts` lists exactly those seats."""

    def __init__(
        self, seat_ids: Sequence[str], zones: Mapping[str, int] | None = None,
        requested: Mapping[str, int] | None = None,
    ) -> None:
        """`zones`: each GA zone that has too few places, with the places it has left."""
        self.seat_ids = list(seat_ids)
        self.zones = dict(zones or {})
        parts = []
        if self.seat_ids:
            parts.append(f"{len(self.seat_ids)} seat(s) are taken")
        if self.zones:
            parts.append(f"{len(self.zones)} GA zone(s) have too few places left")
        zone_conflicts = [{"zone_id": zone_id, "requested": (requested or {}).get(zone_id), "remaining": left}
                          for zone_id, left in self.zones.items()]
        super().__init__("; ".join(parts), conflicts=self.seat_ids, zone_conflicts=zone_conflicts)


class NotEnoughSeats(Conflict):
    """No choice of free seats fits a best-available request; says what one request could still have."""

    def __init__(self, *, requested: int, together: bool, most_together: int, most_apart: int) -> None:
        how = "side by side in one row" if together else "anywhere"
        super().__init__(
            f"{requested} seat(s) {how} cannot be had now: at most {most_together} side by side, "
            f"{most_apart} apart", requested=requested, together=most_together, apart=most_apart,
        )


class SingleSeatLeft(InvalidInput):
    """The hold would leave a free seat alone between taken seats (or at a row's edge), which the
    show's operator does not allow."""

    def __init__(self, errors: list[FieldError], seat_id: str) -> None:
        super().__init__(errors, detail=f"The hold would leave seat {seat_id} free on its own; choose seats that "
                                        "leave no single seat, or include it")
        self.extensions["single_seat"] = seat_id


class HoldNotFound(NotFound):
    """The hold does not exist, has expired, or is not yours."""


class HoldTokenRequired(PreconditionFailed):
    """`If-Match: <hold_token>` is required to change a hold."""


class HoldTokenMismatch(PreconditionFailed):
    """The hold token in If-Match is not this hold's."""


class HoldExtensionLimitReached(Conflict):
    """The hold already lives as long as a hold may; it cannot be extended further."""


def _seat_fields(request: HoldRequest, seat_ids: Sequence[str], message: str) -> list[FieldError]:
    index = {seat_id: i for i, seat_id in enumerate(request.seat_ids)}
    return [FieldError(f"/seat_ids/{index[s]}", message) for s in seat_ids if s in index]


def refusal_error(request: HoldRequest, refused: HoldRefused) -> InvalidInput | Conflict:
    """The problem a refused hold is reported as, naming the fields at fault."""
    if refused.reason == "closed":
        return ShowNotOnSale("the show is cancelled")
    if refused.reason == "unknown":
        errors = _seat_fields(request, refused.seat_ids, "is not a seat of this show")
        errors += [FieldError(f"/zones/{z}", "is not a GA zone of this show") for z in refused.zone_ids]
        return UnknownSeats(errors, refused.seat_ids, refused.zone_ids)
    if refused.reason == "blocked":
        return SeatsBlocked(_seat_fields(request, refused.seat_ids, "is not for sale"), refused.seat_ids)
    if refused.reason == "over_limit":
        return BuyerLimitExceeded(requested=request.quantity, held=refused.held, ordered=refused.ordered,
                                  limit=refused.limit)
    if refused.reason == "address_cap":
        return AddressHoldCapReached(requested=request.quantity, held=refused.held, cap=refused.limit)
    if refused.reason == "single_seat":
        return SingleSeatLeft([FieldError("/seat_ids", f"leaves seat {refused.seat_ids[0]} free on its own")],
                              refused.seat_ids[0])
    if refused.reason == "unknown_choice":
        errors = [FieldError("/best_available/tier_id", "is not a price tier of this show's seats")
                  for _ in [refused.tier_id] if refused.tier_id]
        sections = request.best.sections if request.best is not None else ()
        errors += [FieldError(f"/best_available/sections/{sections.index(s)}", "is not a section of this show")
                   for s in refused.sections if s in sections]
        return InvalidInput(errors, detail="; ".join(f"{e.path}: {e.message}" for e in errors))
    if refused.reason == "not_enough" and request.best is not None:
        return NotEnoughSeats(requested=request.best.quantity, together=request.best.together,
                              most_together=refused.together, most_apart=refused.apart)
    short = dict(zip(refused.zone_ids, refused.zone_remaining, strict=True))
    return SeatsUnavailable(refused.seat_ids, short, request.zones_dict())
