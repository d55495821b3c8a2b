"""The admission context's services, built once per process by the composition root over the
catalog's facade (a show's sale) and seating's (how many places are left)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from lml.admission.application.configure_room import room_facts
from lml.admission.application.line_places import LineDesk
from lml.admission.application.ports import ShowSale, UnitOfWorkFactory
from lml.admission.infrastructure.redis_line import RedisLine
from lml.admission.infrastructure.room_directory import RoomDirectory
from lml.admission.infrastructure.unit_of_work import unit_of_work_factory
from lml.catalog.facade import CatalogFacade, ShowNotFound
from lml.platform.clock import Clock
from lml.platform.rate_limit import RateLimit
from lml.platform.resources import Resources
from lml.seating.facade import SeatingFacade


class FacadeShows:
    """The Shows port on the catalog's and seating's facades."""

    def __init__(self, catalog: CatalogFacade, seating: SeatingFacade) -> None:
        self._catalog = catalog
        self._seating = seating

    async def sale(self, show_id: str) -> ShowSale | None:
        try:
            show = await self._catalog.show_for_sale(show_id)
        except ShowNotFound:
            return None
        return ShowSale(show_id=show.show_id, organization_id=show.org_id, on_sale_at=show.on_sale_at,
                        off_sale_at=show.off_sale_at,
                        cancelled=show.status == "cancelled" or show.event_status == "cancelled")

    async def places_left(self, show_id: str) -> int:
        return await self._seating.places_left(show_id)


@dataclass(frozen=True)
class AdmissionServices:
    resources: Resources
    clock: Clock
    uows: UnitOfWorkFactory  # the system's: every organization's rooms
    shows: FacadeShows
    line: RedisLine
    rooms: RoomDirectory
    desk: LineDesk
    pass_key: bytes
    # Joining is once per buyer; a client address making many buyers join at once is a script (a
    # household or an office behind one address has room here).
    joins_per_address: RateLimit

    @classmethod
    def build(cls, resources: Resources, *, catalog: CatalogFacade, seating: SeatingFacade) -> AdmissionServices:
        settings = resources.settings
        # Passes are signed with a key of their own, derived from the token secret: a pass is never a
        # valid access token, nor the other way round.
        pass_key = hmac.new(settings.jwt_secret.encode(), b"lml admission pass", hashlib.sha256).digest()
        uows = unit_of_work_factory(resources.db)
        shows = FacadeShows(catalog, seating)
        line = RedisLine(resources.redis, settings.redis_key_prefix)
        rooms = RoomDirectory(resources.db)

        async def restore_room(show_id: str) -> bool:
            room, sale = await rooms.room(show_id), await shows.sale(show_id)
            if room is None or sale is None:
                return False
            await line.configure(show_id, room_facts(room, sale, resources.clock.now()))
            return True

        desk = LineDesk(line=line, clock=resources.clock, pass_key=pass_key,
                        polls_per_second=settings.queue_polls_per_second, restore_room=restore_room)
        return cls(resources=resources, clock=resources.clock, uows=uows, shows=shows, line=line, rooms=rooms,
                   desk=desk, pass_key=pass_key,
                   joins_per_address=RateLimit(capacity=settings.queue_joins_per_address, refill_per_second=1.0))

    def as_organization(self, org_id: str) -> UnitOfWorkFactory:
        return unit_of_work_factory(self.resources.db, org_id=org_id)
