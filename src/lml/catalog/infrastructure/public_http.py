"""Buyers' catalog routes (public, no login): published events of every organization, with their
shows, price tiers and sale status. Answers are cached briefly in Redis (dropped when the catalog
changes) and marked `Cache-Control: public` for browsers and CDNs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import FromPath, QueryParameter

from lml.catalog.application.ports import Inventory
from lml.catalog.domain.errors import EventNotFound, ShowNotFound
from lml.catalog.domain.event import normalize_category
from lml.catalog.infrastructure.public_cache import Cached, Fresh
from lml.catalog.infrastructure.public_queries import (
    EventFilters,
    EventPage,
    Moments,
    PublicEvent,
    PublicShowDetail,
    event_detail,
    list_events,
    seconds_valid,
    show_detail,
)
from lml.catalog.infrastructure.seating_inventory import SeatingInventory
from lml.catalog.infrastructure.services import CatalogServices
from lml.platform.db import UnitOfWork
from lml.platform.domain.date_time import DAY_OR_DATE_TIME_PATTERN
from lml.platform.domain.errors import FieldError, InvalidInput
from lml.platform.http.contract import Contract, route_contract

LIST_SECONDS = 15
DETAIL_SECONDS = 10


def _json(cached: Cached) -> Response[bytes]:
    return Response(cached.body, media_type="application/json",
                    headers={"Cache-Control": f"public, max-age={cached.max_age}"})


def _instant(raw: str | None, field: str) -> datetime | None:
    """RFC 3339, read as every date-time of the API (a time without an offset, or a date alone, is UTC)."""
    if raw is None:
        return None
    try:
        value = msgspec.convert(raw, datetime) if len(raw) > len("2027-03-01") else \
            datetime.combine(msgspec.convert(raw, date), time())
    except msgspec.ValidationError:
        raise InvalidInput([FieldError(field, "must be an RFC 3339 date-time, e.g. 2027-03-01T19:30:00Z")]) from None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is in year 10000 once in UTC
        raise InvalidInput([FieldError(field, "must fall within the years 1 to 9999 in UTC")]) from None


# Stated, not enforced by Litestar: `_instant` refuses a bad one naming the parameter as sent.
_INSTANT = {"pattern": DAY_OR_DATE_TIME_PATTERN}
_INSTANT_EXAMPLES = [Example(value="2027-03-01T19:30:00Z"), Example(value="2027-03-01")]
Query = Callable[[UnitOfWork, Inventory, datetime], Awaitable[tuple[Any, Moments] | None]]


async def _read(catalog: CatalogServices, depends_on: list[str], name: str, query: Query) -> Cached | None:
    async def load() -> Fresh | None:
        now = catalog.resources.clock.now()
        async with catalog.resources.db.unit_of_work() as uow:  # acting as no organization: published data only
            found = await query(uow, SeatingInventory(uow, catalog.seating), now)
        if found is None:
            return None
        view, moments = found
        return Fresh(msgspec.json.encode(view), seconds_valid(now, moments, DETAIL_SECONDS))

    return await catalog.public_cache.read(depends_on, name, load)


class PublicCatalog(Controller):
    path = "/v1"
    tags = ["catalog"]

    # A cursor from a query with other filters is refused, not read as a position: its place in another
    # query's list would start this one past events the buyer never saw.
    @get("/events", operation_id="browseEvents", summary="Published events with upcoming shows",
         opt=route_contract(Contract(rule="a cursor is a next_cursor given for the same filters")),
         responses={200: ResponseSpec(EventPage, description="A page; `next_cursor` is null on the last")})
    async def events(
        self,
        catalog: NamedDependency[CatalogServices],
        starts_after: Annotated[str | None, QueryParameter(
            name="from", required=False, schema_extra=_INSTANT, examples=_INSTANT_EXAMPLES,
            description="shows starting after this instant (default: now)")] = None,
        starts_before: Annotated[str | None, QueryParameter(
            name="to", required=False, schema_extra=_INSTANT, examples=_INSTANT_EXAMPLES,
            description="shows starting before this instant")] = None,
        city: Annotated[str | None, QueryParameter(required=False, max_length=100)] = None,
        category: Annotated[str | None, QueryParameter(required=False, max_length=40)] = None,
        q: Annotated[str | None, QueryParameter(
            required=False, max_length=200, description="words of the title or description")] = None,
        cursor: Annotated[str | None, QueryParameter(required=False, max_length=500)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> Response[bytes]:
        filters = EventFilters(
            starts_after=_instant(starts_after, "/from"), starts_before=_instant(starts_before, "/to"),
            city=city.strip() or None if city else None,
            category=normalize_category(category) or None if category else None,
            text=q.strip() or None if q else None,
        )
        if filters.starts_after and filters.starts_before and filters.starts_before <= filters.starts_after:
            raise InvalidInput([FieldError("/to", "must be after from")])

        async def load() -> Fresh:
            page = await _page(catalog, filters, cursor, limit)
            return Fresh(msgspec.json.encode(page), LIST_SECONDS)

        name = f"list:{filters.fingerprint()}:{limit}:{cursor or ''}"
        return _json(await catalog.public_cache.read(["list"], name, load))

    @get("/events/{event_id:str}", operation_id="getPublicEvent",
         summary="A published event with its shows, price tiers and sale status",
         responses={200: ResponseSpec(PublicEvent)})
    async def event(self, catalog: NamedDependency[CatalogServices], event_id: FromPath[str]) -> Response[bytes]:
        cached = await _read(catalog, [f"event:{event_id}"], f"event:{event_id}",
                             lambda uow, inventory, now: event_detail(uow, inventory, event_id, now))
        if cached is None:
            raise EventNotFound()
        return _json(cached)

    @get("/shows/{show_id:str}", operation_id="getPublicShow",
         summary="A show of a published event: price tiers and sale status",
         responses={200: ResponseSpec(PublicShowDetail)})
    async def show(self, catalog: NamedDependency[CatalogServices], show_id: FromPath[str]) -> Response[bytes]:
        cached = await _read(catalog, [f"show:{show_id}"], f"show:{show_id}",
                             lambda uow, inventory, now: show_detail(uow, inventory, show_id, now))
        if cached is None:
            raise ShowNotFound()
        return _json(cached)


async def _page(catalog: CatalogServices, filters: EventFilters, cursor: str | None, limit: int) -> EventPage:
    async with catalog.resources.db.unit_of_work() as uow:
        return await list_events(uow, filters, cursor, limit, catalog.resources.clock.now())
