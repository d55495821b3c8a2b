"""Operators and their buyers' mail: an order's messages and their status, the confirmation sent
again, and announcements to every holder of a valid ticket for a show."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from lml.identity.facade import READERS, WRITERS, OperatorAccess, current_operator, operator_in
from lml.notifications.application.announcements import announcement_view, list_announcements, plan_announcement
from lml.notifications.application.order_messages import list_order_messages, message_view, resend_confirmation
from lml.notifications.application.views import AnnouncementView, MessageView
from lml.notifications.domain.announcement import BODY_PATTERN, SUBJECT_PATTERN, AnnouncementProgress
from lml.notifications.infrastructure.services import NotificationsServices
from lml.platform.http.rate_limits import rate_limited
from lml.platform.rate_limit import RateLimit

Operator = NamedDependency[OperatorAccess]
Notifications = NamedDependency[NotificationsServices]
# A confirmation sent again now and then is help; a loop of them is a flood (the per-recipient limit
# also counts them, per buyer).
RESENDS_PER_OPERATOR = RateLimit(capacity=10, refill_per_second=1 / 30)


class MessageList(msgspec.Struct, frozen=True):
    order_id: str
    messages: list[MessageView]


class AnnouncementBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    subject: Annotated[str, msgspec.Meta(max_length=1000, extra_json_schema={"pattern": SUBJECT_PATTERN},
                                         examples=["Doors open at 19:30 tonight"])]
    body: Annotated[str, msgspec.Meta(max_length=20_000, extra_json_schema={"pattern": BODY_PATTERN},
                                      examples=["The show starts half an hour late.\nYour tickets stay valid."])]


class AnnouncementList(msgspec.Struct, frozen=True):
    show_id: str
    announcements: list[AnnouncementView]


@get("/orders/{order_id:uuid}/messages", operation_id="listOrderMessages", guards=[operator_in(READERS)],
     summary="The messages sent (or being sent) to the order's buyer, oldest first, with their status")
async def order_messages(
    notifications: Notifications, operator: Operator, order_id: FromPath[uuid.UUID]
) -> MessageList:
    messages = await list_order_messages(notifications.as_organization(operator.org_id), notifications.bookings,
                                         order_id=str(order_id), organization_id=operator.org_id)
    return MessageList(str(order_id), messages)


@post("/orders/{order_id:uuid}/messages/resend", operation_id="resendOrderMessages",
      status_code=202, guards=[operator_in(WRITERS)],
      middleware=[rate_limited("notifications:resend", RESENDS_PER_OPERATOR)],
      summary="Send the order's confirmation (with its tickets) to the buyer again")
async def resend(notifications: Notifications, operator: Operator, order_id: FromPath[uuid.UUID]) -> MessageView:
    message = await resend_confirmation(notifications.uows, notifications.clock, notifications.bookings,
                                        order_id=str(order_id), organization_id=operator.org_id)
    return message_view(message)


@post("/shows/{show_id:uuid}/announcements", operation_id="announceToShow",
      status_code=202, guards=[operator_in(WRITERS)],
      summary="A message to every holder of a valid ticket for the show (sent by the worker in batches)")
async def announce(
    notifications: Notifications, operator: Operator, show_id: FromPath[uuid.UUID], data: JSONBody[AnnouncementBody]
) -> AnnouncementView:
    announcement = await plan_announcement(
        notifications.as_organization(operator.org_id), notifications.clock, notifications.bookings,
        organization_id=operator.org_id, show_id=str(show_id), subject=data.subject, body=data.body,
        created_by=operator.user_id,
    )
    return announcement_view(announcement, AnnouncementProgress())


@get("/shows/{show_id:uuid}/announcements", operation_id="listAnnouncements", guards=[operator_in(READERS)],
     summary="The show's announcements, newest first, with how many were sent, failed or wait")
async def announcements(
    notifications: Notifications, operator: Operator, show_id: FromPath[uuid.UUID]
) -> AnnouncementList:
    found = await list_announcements(notifications.as_organization(operator.org_id), show_id=str(show_id))
    return AnnouncementList(str(show_id), found)


router = Router(path="/v1/admin", route_handlers=[order_messages, resend, announce, announcements],
                dependencies={"operator": Provide(current_operator)}, tags=["notifications"])
