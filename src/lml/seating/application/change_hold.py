"""Extend or release a hold: only its owner, and only with its token (a fencing secret)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from lml.seating.application.holding import Holding
from lml.seating.domain.errors import (
    HoldExtensionLimitReached,
    HoldNotFound,
    HoldTokenMismatch,
    HoldTokenRequired,
)
from lml.seating.domain.hold import HoldChangeRefused, from_ms, show_of_hold, token_hash


class ExtendedHold(msgspec.Struct, frozen=True, kw_only=True):
    hold_id: str
    expires_at: datetime
    max_expires_at: datetime


def _target(hold_id: str, token: str | None) -> tuple[str, str]:
    show_id = show_of_hold(hold_id)
    if show_id is None:
        raise HoldNotFound()
    if not token:
        raise HoldTokenRequired()
    return show_id, token_hash(token)


def _refusal(refused: HoldChangeRefused) -> Exception:
    if refused == "bad_token":
        return HoldTokenMismatch()
    if refused == "at_cap":
        return HoldExtensionLimitReached()
    return HoldNotFound()


async def extend_hold(holding: Holding, *, hold_id: str, owner: str, token: str | None) -> ExtendedHold:
    """By the show's hold duration from now, but never past the hold's cap on total life."""
    show_id, digest = _target(hold_id, token)
    rules = await holding.rules.rules(show_id)
    outcome = await holding.holds.extend(show_id, hold_id, owner, digest, rules.hold_ms)
    if isinstance(outcome, str):
        raise _refusal(outcome)
    return ExtendedHold(
        hold_id=hold_id, expires_at=from_ms(outcome.expires_at_ms), max_expires_at=from_ms(outcome.max_expires_at_ms)
    )


async def release_hold(holding: Holding, *, hold_id: str, owner: str, token: str | None) -> None:
    show_id, digest = _target(hold_id, token)
    refused = await holding.holds.release(show_id, hold_id, owner, digest)
    if refused is not None:
        raise _refusal(refused)
