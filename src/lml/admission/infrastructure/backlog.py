"""Admission's backlog for the worker's `/metrics`: buyers waiting in the enabled rooms' lines."""

from __future__ import annotations

from lml.admission.infrastructure.services import AdmissionServices
from lml.platform.backlog import Figure


async def waiting_room_backlog(admission: AdmissionServices) -> list[Figure]:
    async with admission.uows() as tx:
        rooms = await tx.rooms.enabled()
    now_ms = int(admission.clock.now().timestamp() * 1000)
    waiting = active = 0
    for room in rooms:
        figures = await admission.line.figures(room.show_id, now_ms=now_ms)
        waiting += figures.waiting
        active += figures.active
    return [
        Figure("lml_waiting_room_buyers", "Buyers waiting in the lines of the enabled waiting rooms", waiting),
        Figure("lml_waiting_room_passes_active", "Buyers let in whose pass is still alive", active),
        Figure("lml_waiting_rooms_enabled", "Waiting rooms enabled", len(rooms)),
    ]
