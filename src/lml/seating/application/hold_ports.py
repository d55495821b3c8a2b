"""What the hold and availability use cases need from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from lml.platform.domain.rate_budget import RateBill
from lml.seating.domain.availability import Availability, BuyerRow, InventoryState, SeatRow, ZoneRow
from lml.seating.domain.hold import (
    Hold,
    HoldChangeRefused,
    Holder,
    HoldExtended,
    HoldRequest,
    HoldTerms,
    PlaceOutcome,
    RateLimited,
)
from lml.seating.domain.sale_rules import SaleRules
from lml.seating.domain.seat_quality import SeatGeometry, SeatPlan, VenueGeometry


class HoldStore(Protocol):
    """Holds and live availability of shows, decided atomically per show (the fast store)."""

    async def place(
        self, show_id: str, hold_id: str, holder: Holder, token_hash: str, request: HoldRequest, terms: HoldTerms,
        bill: RateBill | None = None,
    ) -> PlaceOutcome:
        """All or none; refused past the buyer's limit (places held + ordered + asked) or the address's
        cap (places held from it + asked). `bill`: the request's rate budgets, not yet spent: spent
        first (RateLimited when they refuse), except on a show not loaded yet."""

    async def extend(
        self, show_id: str, hold_id: str, owner: str, token_hash: str, hold_ms: int
    ) -> HoldExtended | HoldChangeRefused: ...

    async def release(self, show_id: str, hold_id: str, owner: str, token_hash: str) -> HoldChangeRefused | None: ...

    async def get(self, show_id: str, hold_id: str) -> Hold | None:
        """The hold while it is live."""

    async def load(self, show_id: str, state: InventoryState) -> None:
        """Rebuild the show's inventory from PostgreSQL's state (rows the store has newer are kept)."""

    async def apply(
        self, show_id: str, seats: Sequence[SeatRow], zones: Sequence[ZoneRow], buyers: Sequence[BuyerRow] = (),
        *, drop_holds: Sequence[str] = (),
    ) -> int:
        """Follow committed PostgreSQL changes (newer row versions only) and drop the holds that became
        orders, in one atomic step; returns how many rows applied."""

    async def availability(
        self, show_id: str, known_version: str | None = None, bill: RateBill | None = None
    ) -> Availability | str | RateLimited | None:
        """The snapshot; just its version when that is still `known_version`; None when not loaded.
        `bill`: the request's rate budgets, not yet spent: spent first, whether or not the show is
        loaded (RateLimited when they refuse)."""


class SaleRulesSource(Protocol):
    async def rules(self, show_id: str) -> SaleRules:
        """Raises UnknownShow for a show that does not exist."""


class InventoryStateSource(Protocol):
    async def state(self, show_id: str) -> InventoryState | None:
        """PostgreSQL's seats and zones of the show; None when it has no inventory (never on sale)."""


class ShowRanking(Protocol):
    """Ranks for a show that went on sale before seats were ranked."""

    async def pinned_geometry(self, show_id: str) -> tuple[list[SeatGeometry], VenueGeometry] | None:
        """The show's pinned layout: its seats as it draws them (in its order), its focal point and
        viewport; None when it cannot be read."""

    async def save(self, show_id: str, plan: SeatPlan) -> None:
        """Keeps the plan's places and rows with the show's inventory, unless it has rows already."""


class PlaceDescriptions(Protocol):
    """What ordering needs to know of held places: their price tiers and printable labels."""

    async def seats(self, show_id: str, seat_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """seat id → (tier id, label)."""

    async def zone_tiers(self, show_id: str, zone_ids: Sequence[str]) -> dict[str, str]: ...


class QueueGate(Protocol):
    """A show's waiting room, as holds meet it (the admission context, plugged in by the composition
    root: seating does not know it)."""

    async def admit_hold(self, *, show_id: str, buyer: str, pass_token: str | None) -> str | None:
        """The entry id of the buyer's live queue pass when the show's sale goes through a waiting
        room; None when it has none. Raises when the pass is missing or not valid for this buyer."""

    async def hold_placed(self, *, show_id: str, entry_id: str, until: datetime) -> None:
        """A hold placed with the pass of `entry_id` may live until `until`: the pass stays alive as long."""
