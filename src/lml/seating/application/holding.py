"""The collaborators every hold use case works with, wired once per process."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from lml.platform.clock import Clock
from lml.platform.single_flight import SingleFlight
from lml.seating.application.hold_ports import (
    HoldStore,
    InventoryStateSource,
    QueueGate,
    SaleRulesSource,
    ShowRanking,
)
from lml.seating.application.rank_older_show import rank_older_show
from lml.seating.domain.hold import HOLD_ID_RANDOM_BYTES
from lml.seating.domain.inventory import InventoryNotFound


@dataclass
class Holding:
    holds: HoldStore
    rules: SaleRulesSource
    inventory: InventoryStateSource
    clock: Clock
    max_held_per_address: int  # places of one show held at once from one client address
    queue_gate: QueueGate
    ranking: ShowRanking
    random_bytes: Callable[[int], bytes] = os.urandom
    _loading: SingleFlight[str, None] = field(default_factory=SingleFlight)

    def new_hold_secrets(self) -> tuple[bytes, str]:
        """Random bytes for a hold id and a hold token (32 bytes, base64url), from one read of the
        system's randomness: each read is a system call, and this is the hottest route."""
        random = self.random_bytes(HOLD_ID_RANDOM_BYTES + 32)
        token = base64.urlsafe_b64encode(random[HOLD_ID_RANDOM_BYTES:]).rstrip(b"=").decode()
        return random[:HOLD_ID_RANDOM_BYTES], token

    async def load_inventory(self, show_id: str) -> None:
        """Rebuild a show in the fast store from PostgreSQL. Requests arriving meanwhile for the same
        show wait for the one load in progress in this process instead of starting their own."""
        await self._loading.run(show_id, lambda: self._load(show_id))

    async def _load(self, show_id: str) -> None:
        state = await self.inventory.state(show_id)
        if state is None:
            raise InventoryNotFound()
        if state.seats and not state.rows and await rank_older_show(self.ranking, show_id):
            state = await self.inventory.state(show_id) or state
        await self.holds.load(show_id, state)
