"""What other contexts (through the composition root) may call on admission: the gate on holds.

`AdmissionFacade` is built by the composition root over admission's services; the root plugs it into
seating's `QueueGate` port, so that seating never imports admission."""

from __future__ import annotations

from datetime import datetime

from lml.admission.application import pass_gate
from lml.admission.application.ports import Admitted
from lml.admission.infrastructure.services import AdmissionServices

__all__ = ["AdmissionFacade", "AdmissionServices", "Admitted"]


class AdmissionFacade:
    def __init__(self, services: AdmissionServices) -> None:
        self._services = services

    async def admit_hold(self, *, show_id: str, buyer: str, pass_token: str | None) -> str | None:
        """The entry id of the buyer's live pass when the show's sale goes through its waiting room;
        None when it has none. Raises QueuePassRequired, QueuePassInvalid."""
        s = self._services
        claims = await pass_gate.check_pass(s.rooms.room, s.clock, s.pass_key, show_id=show_id, buyer=buyer,
                                            pass_token=pass_token)
        return claims.entry_id if claims else None

    async def hold_placed(self, *, show_id: str, entry_id: str, until: datetime) -> None:
        s = self._services
        await s.line.keep_pass(show_id, entry_id=entry_id, until_ms=int(until.timestamp() * 1000),
                               now_ms=int(s.clock.now().timestamp() * 1000))

    async def admissions(self, show_id: str) -> list[Admitted]:
        """The show's admission log, oldest first (operators' tooling, the tests)."""
        return await self._services.line.admissions(show_id)
