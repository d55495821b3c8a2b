"""Operators' catalog routes (`/v1/admin/events`, `/v1/admin/shows`), inside their organization.

`owner` and `manager` write, `box_office` reads. Another organization's event or show answers 404,
as if it did not exist (row-level security hides it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from itertools import zip_longest
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from lml.catalog.application import block_seats, manage_events, manage_shows, put_on_sale
from lml.catalog.application.ports import CatalogPorts, InventorySummary, InventoryTally
from lml.catalog.domain.event import Event, EventChanges, EventDraft, EventRevision
from lml.catalog.domain.pricing import PricingRule
from lml.catalog.domain.sale import SaleStatus
from lml.catalog.domain.show import Show, ShowChanges, ShowDraft
from lml.catalog.domain.venue import LayoutPin, VenueSnapshot
from lml.catalog.infrastructure.http_access import provide_ports
from lml.identity.facade import READERS, WRITERS, OperatorAccess, current_operator, operator_in
from lml.platform.domain.errors import FieldError, InvalidInput
from lml.platform.http.contract import Contract, route_contract

MAX_SEATS_PER_BLOCK = 5_000
# What a request valid per the schema must still meet (a 422 otherwise), as the document says.
_VENUE_RULE = "venue_id names a venue of the operator's organization"
_SHOW_RULE = (
    "layout_id (and layout_version) name a published layout of the event's venue; the show starts in the future;"
    " doors open at most 24 hours before it starts; the sale window ends after it opens, in the future and not"
    " after the start; a time without an offset exists in the venue's time zone; no tier_id twice, and a tier's"
    " currency is the show's; each pricing rule names one of the show's tiers and a section, row, seat or GA"
    " zone of the layout, none priced twice")
_SEATS_RULE = "every seat id is a seat of the show's layout"


class EventOut(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    status: str
    revision: int
    title: str
    description: str
    category: str
    images: list[str]
    venue: VenueSnapshot
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, event: Event) -> EventOut:
        return cls(event_id=event.event_id, status=event.status, revision=event.revision, title=event.title,
                   description=event.description, category=event.category, images=list(event.images),
                   venue=event.venue, created_at=event.created_at, updated_at=event.updated_at,
                   published_at=event.published_at, cancelled_at=event.cancelled_at)


class EventList(msgspec.Struct, frozen=True):
    items: list[EventOut]
    next_cursor: str | None


class RevisionOut(msgspec.Struct, frozen=True, kw_only=True):
    """What buyers saw from `valid_from` until `valid_to` (None: still on show)."""

    revision: int
    title: str
    description: str
    category: str
    images: list[str]
    venue_name: str
    valid_from: datetime
    valid_to: datetime | None
    recorded_by: str | None


class RevisionList(msgspec.Struct, frozen=True):
    items: list[RevisionOut]


def _revisions(revisions: list[EventRevision]) -> RevisionList:
    """Each revision was on show until the next one was recorded (a draft has none yet)."""
    return RevisionList([
        RevisionOut(revision=r.revision, title=r.title, description=r.description, category=r.category,
                    images=list(r.images), venue_name=r.venue_name, valid_from=r.recorded_at,
                    valid_to=later.recorded_at if later else None, recorded_by=r.recorded_by)
        for r, later in zip_longest(revisions, revisions[1:])
    ])


class FeeOut(msgspec.Struct, frozen=True):
    name: str
    amount: int


class TierOut(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str
    name: str
    price: int
    fees: list[FeeOut]
    total: int


class InventoryOut(msgspec.Struct, frozen=True, kw_only=True):
    seats: dict[str, int]
    zones: int
    zone_capacity: int
    zone_remaining: int

    @classmethod
    def of(cls, tally: InventoryTally) -> InventoryOut:
        return cls(seats=tally.seats, zones=tally.zones, zone_capacity=tally.zone_capacity,
                   zone_remaining=tally.zone_remaining)


class ShowOut(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    event_id: str
    status: str
    sale_status: SaleStatus
    starts_at: datetime
    local_starts_at: str
    doors_at: datetime | None
    layout: LayoutPin
    currency: str
    price_tiers: list[TierOut]
    pricing: list[PricingRule]
    on_sale_at: datetime | None
    off_sale_at: datetime | None
    max_seats_per_buyer: int
    hold_seconds: int
    avoid_single_seats: str  # whose holds may not leave a free seat alone: best_available, all_holds, off
    blocked_seat_ids: list[str]  # a draft's; once on sale the inventory holds the blocks
    went_on_sale_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    inventory: InventoryOut | None = None

    @classmethod
    def of(cls, show: Show, *, event_status: str, timezone: str, now: datetime,
           inventory: InventoryTally | None = None) -> ShowOut:
        sold_out = inventory is not None and inventory.sold_out
        return cls(
            show_id=show.show_id, event_id=show.event_id, status=show.status,
            sale_status=show.sale_status(event_status, now, sold_out=sold_out), starts_at=show.starts_at,
            local_starts_at=show.starts_at.astimezone(ZoneInfo(timezone)).isoformat(), doors_at=show.doors_at,
            layout=show.layout, currency=show.currency,
            price_tiers=[TierOut(tier_id=t.tier_id, name=t.name, price=t.price, total=t.unit_total,
                                 fees=[FeeOut(f.name, f.amount) for f in t.fees]) for t in show.tiers],
            pricing=list(show.pricing), on_sale_at=show.on_sale_at, off_sale_at=show.off_sale_at,
            max_seats_per_buyer=show.max_seats_per_buyer, hold_seconds=show.hold_seconds,
            avoid_single_seats=show.avoid_single_seats, blocked_seat_ids=list(show.blocked_seat_ids),
            went_on_sale_at=show.went_on_sale_at,
            cancelled_at=show.cancelled_at, created_at=show.created_at, updated_at=show.updated_at,
            inventory=InventoryOut.of(inventory) if inventory else None,
        )


class ShowList(msgspec.Struct, frozen=True):
    items: list[ShowOut]


class InventorySummaryOut(msgspec.Struct, frozen=True, kw_only=True):
    created: bool  # False: the show was on sale already; nothing changed
    seats: int
    zones: int

    @classmethod
    def of(cls, summary: InventorySummary) -> InventorySummaryOut:
        return cls(created=summary.created, seats=summary.seats, zones=summary.zones)


class OnSaleOut(msgspec.Struct, frozen=True, kw_only=True):
    show: ShowOut
    inventory: InventorySummaryOut


class SeatIds(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    seat_ids: Annotated[list[str], msgspec.Meta(
        extra_json_schema={"minItems": 1, "maxItems": MAX_SEATS_PER_BLOCK}, examples=[["3f9a1c0b7d2e4a65"]])]


class BlockOut(msgspec.Struct, frozen=True, kw_only=True):
    changed: list[str]  # seats whose status changed; the others were as asked already
    blocked_seat_ids: list[str] | None  # a draft's whole list; None once the inventory holds the blocks


def _check_seat_ids(data: SeatIds) -> list[str]:
    if not 1 <= len(data.seat_ids) <= MAX_SEATS_PER_BLOCK:
        raise InvalidInput([FieldError("/seat_ids", f"must name 1 to {MAX_SEATS_PER_BLOCK} seats")])
    return data.seat_ids


Operator = NamedDependency[OperatorAccess]
Ports = NamedDependency[CatalogPorts]
# Ids as uuids: `A1B2...` and `a1b2...` name the same row, and every use case sees the canonical form.
EventId = FromPath[uuid.UUID]
ShowId = FromPath[uuid.UUID]


class AdminEvents(Controller):
    path = "/v1/admin/events"
    tags = ["catalog (operators)"]
    dependencies = {"ports": Provide(provide_ports), "operator": Provide(current_operator)}

    @post("/", operation_id="createEvent", status_code=201, guards=[operator_in(WRITERS)],
          opt=route_contract(Contract(rule=_VENUE_RULE)), summary="Create a draft event")
    async def create(self, data: JSONBody[EventDraft], ports: Ports, operator: Operator) -> EventOut:
        return EventOut.of(await manage_events.create_event(ports, org_id=operator.org_id, draft=data))

    @get("/", operation_id="listEvents",
         guards=[operator_in(READERS)], summary="The organization's events, newest first")
    async def list(
        self, ports: Ports, operator: Operator,
        status: Annotated[str | None, QueryParameter(required=False, description="draft, published, cancelled")] = None,
        # The last event id of the page before: any id starts the page after it.
        cursor: Annotated[uuid.UUID | None, QueryParameter(required=False, description="a page's next_cursor")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> EventList:
        events = await manage_events.list_events(ports, org_id=operator.org_id, status=status,
                                                 after=str(cursor) if cursor else None, limit=limit + 1)
        more = len(events) > limit
        return EventList([EventOut.of(e) for e in events[:limit]], events[limit - 1].event_id if more else None)

    @get("/{event_id:uuid}", operation_id="getEvent", guards=[operator_in(READERS)], summary="An event")
    async def read(self, event_id: EventId, ports: Ports, operator: Operator) -> EventOut:
        return EventOut.of(await manage_events.get_event(ports, org_id=operator.org_id, event_id=str(event_id)))

    @patch("/{event_id:uuid}", operation_id="updateEvent", guards=[operator_in(WRITERS)],
           opt=route_contract(Contract(rule=_VENUE_RULE)),
           summary="Change an event (a published event's change is a new revision)")
    async def change(self, event_id: EventId, data: JSONBody[EventChanges], ports: Ports,
                     operator: Operator) -> EventOut:
        return EventOut.of(await manage_events.change_event(ports, org_id=operator.org_id, user_id=operator.user_id,
                                                            event_id=str(event_id), changes=data))

    @post("/{event_id:uuid}/publish", operation_id="publishEvent",
          status_code=200, guards=[operator_in(WRITERS)], summary="Publish an event")
    async def publish(self, event_id: EventId, ports: Ports, operator: Operator) -> EventOut:
        return EventOut.of(await manage_events.publish_event(ports, org_id=operator.org_id,
                                                             user_id=operator.user_id, event_id=str(event_id)))

    @post("/{event_id:uuid}/cancel", operation_id="cancelEvent", status_code=200, guards=[operator_in(WRITERS)],
          summary="Cancel an event and every show of it")
    async def cancel(self, event_id: EventId, ports: Ports, operator: Operator) -> EventOut:
        return EventOut.of(await manage_events.cancel_event(ports, org_id=operator.org_id, event_id=str(event_id)))

    @get("/{event_id:uuid}/revisions", operation_id="listEventRevisions", guards=[operator_in(READERS)],
         summary="What buyers saw of a published event, and when")
    async def revisions(self, event_id: EventId, ports: Ports, operator: Operator) -> RevisionList:
        return _revisions(await manage_events.event_revisions(ports, org_id=operator.org_id, event_id=str(event_id)))

    @post("/{event_id:uuid}/shows", operation_id="addShow", status_code=201, guards=[operator_in(WRITERS)],
          opt=route_contract(Contract(rule=_SHOW_RULE)), summary="Add a show")
    async def add_show(self, event_id: EventId, data: JSONBody[ShowDraft], ports: Ports,
                       operator: Operator) -> ShowOut:
        show = await manage_shows.create_show(ports, org_id=operator.org_id, event_id=str(event_id), draft=data)
        return await _show_out(ports, operator, show)

    @get("/{event_id:uuid}/shows", operation_id="listEventShows",
         guards=[operator_in(READERS)], summary="The event's shows")
    async def shows(self, event_id: EventId, ports: Ports, operator: Operator) -> ShowList:
        event = await manage_events.get_event(ports, org_id=operator.org_id, event_id=str(event_id))
        shows = await manage_shows.shows_of_event(ports, org_id=operator.org_id, event_id=str(event_id))
        now = ports.clock.now()
        return ShowList([ShowOut.of(s, event_status=event.status, timezone=event.venue.timezone, now=now)
                         for s in shows])


async def _show_out(ports: CatalogPorts, operator: OperatorAccess, show: Show,
                    inventory: InventoryTally | None = None) -> ShowOut:
    event = await manage_events.get_event(ports, org_id=operator.org_id, event_id=show.event_id)
    return ShowOut.of(show, event_status=event.status, timezone=event.venue.timezone, now=ports.clock.now(),
                      inventory=inventory)


class AdminShows(Controller):
    path = "/v1/admin/shows"
    tags = ["catalog (operators)"]
    dependencies = {"ports": Provide(provide_ports), "operator": Provide(current_operator)}

    @get("/{show_id:uuid}", operation_id="getShow",
         guards=[operator_in(READERS)], summary="A show, with its inventory once on sale")
    async def read(self, show_id: ShowId, ports: Ports, operator: Operator) -> ShowOut:
        overview = await manage_shows.show_overview(ports, org_id=operator.org_id, show_id=str(show_id))
        return await _show_out(ports, operator, overview.show, overview.inventory)

    @patch("/{show_id:uuid}", operation_id="updateShow", guards=[operator_in(WRITERS)],
           opt=route_contract(Contract(rule=_SHOW_RULE)), summary="Change a draft show")
    async def change(self, show_id: ShowId, data: JSONBody[ShowChanges], ports: Ports, operator: Operator) -> ShowOut:
        show = await manage_shows.change_show(ports, org_id=operator.org_id, show_id=str(show_id), changes=data)
        return await _show_out(ports, operator, show)

    @post("/{show_id:uuid}/on-sale", operation_id="putShowOnSale", status_code=200, guards=[operator_in(WRITERS)],
          summary="Put a show on sale: its inventory (one row per seat and GA zone) is created")
    async def on_sale(self, show_id: ShowId, ports: Ports, operator: Operator) -> OnSaleOut:
        result = await put_on_sale.put_show_on_sale(ports, org_id=operator.org_id, show_id=str(show_id))
        overview = await manage_shows.show_overview(ports, org_id=operator.org_id, show_id=str(show_id))
        return OnSaleOut(show=await _show_out(ports, operator, result.show, overview.inventory),
                         inventory=InventorySummaryOut.of(result.inventory))

    @post("/{show_id:uuid}/cancel", operation_id="cancelShow",
          status_code=200, guards=[operator_in(WRITERS)], summary="Cancel a show")
    async def cancel(self, show_id: ShowId, ports: Ports, operator: Operator) -> ShowOut:
        show = await manage_shows.cancel_show(ports, org_id=operator.org_id, show_id=str(show_id))
        return await _show_out(ports, operator, show)

    @post("/{show_id:uuid}/seats/block", operation_id="blockSeats", status_code=200, guards=[operator_in(WRITERS)],
          opt=route_contract(Contract(rule=_SEATS_RULE)),
          summary="Block seats (house seats, broken seats): available → blocked")
    async def block(self, show_id: ShowId, data: JSONBody[SeatIds], ports: Ports, operator: Operator) -> BlockOut:
        return await _block(ports, operator, str(show_id), data, blocked=True)

    @post("/{show_id:uuid}/seats/unblock", operation_id="unblockSeats", status_code=200, guards=[operator_in(WRITERS)],
          opt=route_contract(Contract(rule=_SEATS_RULE)), summary="Release blocked seats to sale: blocked → available")
    async def unblock(self, show_id: ShowId, data: JSONBody[SeatIds], ports: Ports, operator: Operator) -> BlockOut:
        return await _block(ports, operator, str(show_id), data, blocked=False)


async def _block(ports: CatalogPorts, operator: OperatorAccess, show_id: str, data: SeatIds,
                 *, blocked: bool) -> BlockOut:
    change = await block_seats.set_seats_blocked(ports, org_id=operator.org_id, show_id=show_id,
                                                 seat_ids=_check_seat_ids(data), blocked=blocked)
    return BlockOut(changed=change.changed, blocked_seat_ids=change.blocked_seat_ids)

