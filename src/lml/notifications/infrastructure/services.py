"""The notifications context's services, built once per process by the composition root over the
facades of the contexts whose facts its messages show."""

from __future__ import annotations

from dataclasses import dataclass

from lml.catalog.facade import CatalogFacade
from lml.identity.facade import IdentityFacade
from lml.notifications.application.ports import UnitOfWorkFactory
from lml.notifications.application.send_due_messages import Delivery
from lml.notifications.infrastructure.bookings import FacadeBookings
from lml.notifications.infrastructure.jinja_renderer import JinjaRenderer
from lml.notifications.infrastructure.smtp_sender import SmtpEmailSender
from lml.notifications.infrastructure.twilio_sender import TwilioSmsSender
from lml.notifications.infrastructure.unit_of_work import unit_of_work_factory
from lml.ordering.facade import OrderingFacade
from lml.platform.clock import Clock
from lml.platform.resources import Resources
from lml.venues.facade import VenuesFacade


@dataclass(frozen=True)
class NotificationsServices:
    resources: Resources
    clock: Clock
    # The system's units of work (the worker's): they see every organization's messages.
    uows: UnitOfWorkFactory
    bookings: FacadeBookings
    delivery: Delivery
    sms: TwilioSmsSender | None  # None unless the LML_TWILIO_* settings are given

    @classmethod
    def build(
        cls, resources: Resources, *, ordering: OrderingFacade, catalog: CatalogFacade, venues: VenuesFacade,
        identity: IdentityFacade,
    ) -> NotificationsServices:
        settings = resources.settings
        bookings = FacadeBookings(ordering, catalog, venues, identity)
        sms = TwilioSmsSender(account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
                              sender=settings.twilio_from, api_base=settings.twilio_api_base) \
            if settings.sms_enabled else None
        delivery = Delivery(bookings=bookings, renderer=JinjaRenderer(settings.public_base_url),
                            email=SmtpEmailSender(settings.smtp_server, settings.mail_from, timeout=10.0), sms=sms)
        return cls(resources=resources, clock=resources.clock, uows=unit_of_work_factory(resources.db),
                   bookings=bookings, delivery=delivery, sms=sms)

    def as_organization(self, org_id: str) -> UnitOfWorkFactory:
        """An operator's units of work: row-level security shows their organization's messages only."""
        return unit_of_work_factory(self.resources.db, org_id=org_id)

    async def open(self) -> None:
        if self.sms is not None:
            await self.sms.open()

    async def close(self) -> None:
        if self.sms is not None:
            await self.sms.close()
