"""The waiting room's gate on holds: while a show's room is on, a hold needs the pass its buyer was
given when admitted. The check is the pass's signature (no store look-up); a hold placed with it
keeps the pass alive, and its place in `max_active` taken, as long as the hold may live."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from lml.admission.domain.errors import QueuePassRequired
from lml.admission.domain.queue_pass import PassClaims, verify_pass
from lml.admission.domain.room import WaitingRoom
from lml.platform.clock import Clock


def queue_url(show_id: str) -> str:
    return f"/v1/shows/{show_id}/queue"


async def check_pass(
    room_of: Callable[[str], Awaitable[WaitingRoom | None]], clock: Clock, pass_key: bytes, *, show_id: str,
    buyer: str, pass_token: str | None,
) -> PassClaims | None:
    """The pass's claims when the show's room is on; None when it has none (holds go as they always
    did). Raises QueuePassRequired and QueuePassInvalid."""
    room = await room_of(show_id)
    if room is None or not room.enabled:
        return None
    if not pass_token:
        raise QueuePassRequired(queue_url(show_id))
    return verify_pass(pass_token, pass_key, show_id=show_id, buyer=buyer, now=clock.now())

