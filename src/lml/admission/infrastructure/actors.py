"""The worker's periodic work for the waiting rooms: the admission tick."""

from __future__ import annotations

from prometheus_client import Counter

from lml.admission.application.admit import admit_next
from lml.admission.infrastructure.services import AdmissionServices

ADMISSIONS = Counter("lml_waiting_room_admissions", "Buyers let in from a waiting room's line")


async def admit_buyers(admission: AdmissionServices) -> int:
    """Let the next buyers in, in every enabled room whose sale is on; how many."""
    admitted = await admit_next(admission.uows, admission.shows, admission.line, admission.clock)
    ADMISSIONS.inc(admitted)
    return admitted
