"""Check a hold for ordering: live, the buyer's own, and fenced by its token; with its places' tiers."""

from __future__ import annotations

import hmac

from lml.seating.application.hold_ports import PlaceDescriptions
from lml.seating.application.holding import Holding
from lml.seating.domain.errors import HoldNotFound, HoldTokenMismatch
from lml.seating.domain.hold import HeldSeat, HeldZone, VerifiedHold, from_ms, show_of_hold, token_hash


async def verify_hold(
    holding: Holding, places: PlaceDescriptions, *, hold_id: str, token: str, owner: str
) -> VerifiedHold:
    show_id = show_of_hold(hold_id)
    hold = await holding.holds.get(show_id, hold_id) if show_id else None
    if hold is None or hold.owner != owner:
        raise HoldNotFound()
    if not hmac.compare_digest(hold.token_hash, token_hash(token)):
        raise HoldTokenMismatch()
    seats = await places.seats(hold.show_id, hold.seat_ids)
    zone_tiers = await places.zone_tiers(hold.show_id, list(hold.zones))
    return VerifiedHold(
        hold_id=hold.hold_id,
        show_id=hold.show_id,
        owner=hold.owner,
        seats=[HeldSeat(seat_id=s, tier_id=seats.get(s, (None, None))[0], label=seats.get(s, (None, None))[1])
               for s in hold.seat_ids],
        zones=[HeldZone(zone_id=z, tier_id=zone_tiers.get(z), quantity=q) for z, q in hold.zones.items()],
        expires_at=from_ms(hold.expires_at_ms),
        max_expires_at=from_ms(hold.max_expires_at_ms),
    )
